from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm


class UploadForm(forms.Form):
    video = forms.FileField(
        label="Video file",
        help_text="One person, whole body visible works best. MP4, MOV, AVI or WebM.",
        widget=forms.ClearableFileInput(attrs={"accept": "video/*"}),
    )

    def clean_video(self):
        f = self.cleaned_data["video"]
        limit = settings.POSENET_MAX_UPLOAD_MB * 1024 * 1024
        if f.size == 0:
            raise forms.ValidationError("This file is empty (0 bytes). Please choose the video again.")
        if f.size > limit:
            raise forms.ValidationError(
                f"This file is {f.size / 1e6:.0f} MB; the limit is {settings.POSENET_MAX_UPLOAD_MB} MB. "
                "Please upload a shorter or more compressed video."
            )
        return f


class SignUpForm(UserCreationForm):
    pass
