from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from .models import LifterModel, PoseJob, TrainingJob

HEIGHT_RANGE_M = (0.5, 2.5)
HEIGHT_ERROR = "Height must be a number of metres between 0.5 and 2.5, e.g. 1.75."
HEIGHT_SEVERAL = ("A height is one person's: leave it blank for several people (each person's size comes from "
                  "where they stand in the scene).")


class HeightField(forms.FloatField):
    """Metres; a decimal comma (1,75), as many keyboards type it, reads as a point."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)


def choice_error(label: str, choices) -> dict:
    """'"crowd" is not a choice: People must be "one" or "several".' (Django says "Select a valid choice.")."""
    values = [f'"{v}"' for v, _ in choices]
    listed = values[0] if len(values) == 1 else ", ".join(values[:-1]) + f" or {values[-1]}"
    return {"invalid_choice": f'"%(value)s" is not a choice: {label} must be {listed}.'}


class UploadForm(forms.Form):
    video = forms.FileField(
        label="Video file",
        help_text="MP4, MOV, AVI or WebM. Works best with the whole body in view.",
        widget=forms.ClearableFileInput(attrs={"accept": "video/*"}),
    )
    lifter = forms.ModelChoiceField(queryset=LifterModel.objects.all(), required=False, label="Model",
                                    empty_label=None)
    smoothing = forms.ChoiceField(choices=PoseJob._meta.get_field("smoothing").choices, initial="light",
                                  required=False,
                                  error_messages=choice_error("Smoothing", PoseJob._meta.get_field("smoothing").choices))

    complexity = forms.TypedChoiceField(choices=PoseJob._meta.get_field("complexity").choices, coerce=int,
                                        initial=1, required=False, label="2D detector",
                                        help_text="Lite is faster, heavy is more accurate.")
    people = forms.ChoiceField(choices=PoseJob._meta.get_field("people_mode").choices, initial="one", required=False,
                               error_messages=choice_error("People", PoseJob._meta.get_field("people_mode").choices),
                               label="People", help_text="Several people: everyone in the video, each with an id "
                                                         "(MoveNet MultiPose; no height option).")
    height_m = HeightField(
        required=False, label="Person's height (m), optional",
        help_text="Sets the skeleton's size. Leave blank for a typical adult.",
        error_messages={"invalid": HEIGHT_ERROR},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": HEIGHT_RANGE_M[0], "max": HEIGHT_RANGE_M[1],
                                        "placeholder": "e.g. 1.75", "inputmode": "decimal",
                                        "aria-describedby": "id_height_m_help"}),
    )

    def __init__(self, *args, too_large=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        active = LifterModel.active()
        if active:
            self.fields["lifter"].initial = active.pk
        if not LifterModel.objects.exists():
            del self.fields["lifter"]  # only the shipped default is available
        else:  # the model's own name, as the job page and the API show it (the default is chosen already)
            self.fields["lifter"].label_from_instance = lambda model: model.name

    def clean_video(self):
        f = self.cleaned_data["video"]
        if f.size == 0:
            raise forms.ValidationError("This file is empty (0 bytes). Please choose the video again.")
        return f

    def clean_complexity(self):
        value = self.cleaned_data.get("complexity")
        return 1 if value in (None, "") else value

    def clean_height_m(self):
        value = self.cleaned_data.get("height_m")
        if value is None:
            return None  # blank: the pipeline's adult prior
        if not HEIGHT_RANGE_M[0] <= value <= HEIGHT_RANGE_M[1]:
            raise forms.ValidationError(HEIGHT_ERROR)
        return value

    def clean_people(self):
        return self.cleaned_data.get("people") or "one"

    def clean_smoothing(self):
        return self.cleaned_data.get("smoothing") or "light"

    def clean(self):
        if self.cleaned_data.get("people") == "several" and self.cleaned_data.get("height_m") is not None:
            self.add_error("height_m", HEIGHT_SEVERAL)
        if self.too_large:
            self.errors.pop("video", None)
            self.add_error("video", f"This file is larger than the {settings.POSENET_MAX_UPLOAD_MB} MB limit. "
                                    "Please upload a shorter or more compressed video.")
        return super().clean()


class SignUpForm(UserCreationForm):
    pass


# The fields a saved configuration (ml/configs) sets on a training job, as the admin then shows them.
CONFIG_FIELDS = ("arch", "frames", "epochs", "lr", "batch_size", "keypoints")


class TrainingJobForm(forms.ModelForm):
    class Meta:
        model = TrainingJob
        fields = ["name", "config", "arch", "frames", "epochs", "lr", "batch_size", "data_dir", "keypoints",
                  "extra_config"]

    def __init__(self, *args, **kwargs):
        from ml.catalog import configs

        super().__init__(*args, **kwargs)
        if "config" in self.fields:  # (read-only once queued: the admin leaves it out of the form)
            self.fields["config"] = forms.ChoiceField(
                choices=[("", "None: the fields below"), *configs().items()], required=False,
                label=self.fields["config"].label, help_text=self.fields["config"].help_text)


    def clean_frames(self):
        frames = self.cleaned_data["frames"]
        if frames < 1 or frames % 2 == 0:
            raise forms.ValidationError("Use an odd number of frames (e.g. 27, 81, 243).")
        return frames

    def clean(self):
        cleaned = super().clean()
        from ml.catalog import config_values

        from .checkpoint_paths import dataset_problem

        if cleaned.get("config"):  # a saved configuration sets the fields it has (the shipped model's too)
            values = config_values(cleaned["config"])
            cleaned.update({f: values[f] for f in CONFIG_FIELDS if f in values})

        if "data_dir" in cleaned:  # checked on save: a wrong folder is said now, not after queueing
            problem = dataset_problem(cleaned["data_dir"], cleaned.get("keypoints"))
            if problem:
                self.add_error("data_dir", problem)
        return cleaned


class LifterModelForm(forms.ModelForm):
    """The registry's form: a checkpoint path must be a real checkpoint inside the models folders."""

    class Meta:
        model = LifterModel
        fields = "__all__"

    def clean_checkpoint(self):
        from .checkpoint_paths import checkpoint_problem

        value = (self.cleaned_data.get("checkpoint") or "").strip()
        problem = checkpoint_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


class RateLimitedLoginMixin:
    """Sign-in forms that refuse after too many failures for the username from this address, or from
    this address at all (poseapp/ratelimit.py); `rate_limited` tells the view to answer 429."""
    rate_limited = False

    def clean(self):
        from django.core.exceptions import ValidationError

        from . import ratelimit

        username = (self.cleaned_data.get("username") or "").strip().lower()
        ip = ratelimit.client_ip(self.request) if self.request is not None else "unknown"
        refusal = ratelimit.sign_in_refusal(username, ip)
        if refusal:
            self.rate_limited = True
            raise ValidationError(refusal, code="rate_limited")
        try:
            cleaned = super().clean()
        except ValidationError:
            if username and self.cleaned_data.get("password"):
                ratelimit.record_sign_in_failure(username, ip)
            raise
        ratelimit.reset("login", username, ip)
        return cleaned


class RateLimitedAuthenticationForm(RateLimitedLoginMixin, AuthenticationForm):
    pass


class RateLimitedAdminAuthenticationForm(RateLimitedLoginMixin, AdminAuthenticationForm):
    pass
