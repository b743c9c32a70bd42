"""The Celery task names and queues, once (issue 29: they were strings in several places). No Django
or Celery import: settings (the routes), the worker's command line (webapp/run.py), the tasks, the
sweeper and the warm-up all read them from here."""

POSE_QUEUE = "pose"    # video jobs, their helpers' parts, the periodic clean-up
TRAIN_QUEUE = "train"  # training jobs (the `trainer` service in docker-compose.yml)
LIVE_CHANNEL = "live-lift"  # the live lifter's Channels worker (`manage.py runworker live-lift`, poseapp/live_lifter.py)

POSE_TASK = "poseapp.tasks.run_pose_job"
DETECT_PARTS_TASK = "poseapp.tasks.detect_parts"
TRAINING_TASK = "poseapp.tasks.run_training_job"
CLEANUP_TASK = "poseapp.retention.cleanup"

ROUTES = {POSE_TASK: {"queue": POSE_QUEUE}, DETECT_PARTS_TASK: {"queue": POSE_QUEUE},
          TRAINING_TASK: {"queue": TRAIN_QUEUE}, CLEANUP_TASK: {"queue": POSE_QUEUE}}
