from __future__ import annotations

from django import forms

from accord.core.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "language", "time_zone"]
