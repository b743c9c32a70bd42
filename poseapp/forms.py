from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm

from .models import LifterModel, PoseJob, TrainingJob


class UploadForm(forms.Form):
    video = forms.FileField(
        label="Video file",
        help_text="One person, whole body visible works best. MP4, MOV, AVI or WebM.",
        widget=forms.ClearableFileInput(attrs={"accept": "video/*"}),
    )
    lifter = forms.ModelChoiceField(queryset=LifterModel.objects.all(), required=False, label="Model",
                                    empty_label=None)
    smoothing = forms.ChoiceField(choices=PoseJob._meta.get_field("smoothing").choices, initial="light",
                                  required=False)

    complexity = forms.TypedChoiceField(choices=PoseJob._meta.get_field("complexity").choices, coerce=int,
                                        initial=1, required=False, label="2D detector",
                                        help_text="Lite is faster, heavy is more accurate.")

    def __init__(self, *args, too_large=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        active = LifterModel.active()
        if active:
            self.fields["lifter"].initial = active.pk
        if not LifterModel.objects.exists():
            del self.fields["lifter"]  # only the shipped default is available

    def clean_video(self):
        f = self.cleaned_data["video"]
        if f.size == 0:
            raise forms.ValidationError("This file is empty (0 bytes). Please choose the video again.")
        return f

    def clean_complexity(self):
        value = self.cleaned_data.get("complexity")
        return 1 if value in (None, "") else value

    def clean_smoothing(self):
        return self.cleaned_data.get("smoothing") or "light"

    def clean(self):
        if self.too_large:
            self.errors.pop("video", None)
            self.add_error("video", f"This file is larger than the {settings.POSENET_MAX_UPLOAD_MB} MB limit. "
                                    "Please upload a shorter or more compressed video.")
        return super().clean()


class SignUpForm(UserCreationForm):
    pass


class TrainingJobForm(forms.ModelForm):
    class Meta:
        model = TrainingJob
        fields = ["name", "arch", "frames", "epochs", "lr", "batch_size", "data_dir", "keypoints", "extra_config"]

    def clean_frames(self):
        frames = self.cleaned_data["frames"]
        if frames < 1 or frames % 2 == 0:
            raise forms.ValidationError("Use an odd number of frames (e.g. 27, 81, 243).")
        return frames
