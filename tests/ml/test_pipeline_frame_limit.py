"""The pipeline's frame limit is checked while decoding (a container may report no frame count)."""
import pytest

from ml.pipeline import PipelineError, PipelineOptions, run_pipeline


def test_more_frames_than_the_limit_stop_with_a_sentence(no_person_video, tiny_checkpoint):
    with pytest.raises(PipelineError) as exc:
        run_pipeline(no_person_video, PipelineOptions(checkpoint=str(tiny_checkpoint), max_frames=10))
    assert str(exc.value).startswith("This video has more than 10 frames, the most one job may decode.")
