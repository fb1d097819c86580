from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import ErrorCode


class VerifyEmail(BaseModel):
    verify_email: "VerifyEmailVerifyEmail" = Field(alias="verifyEmail")


class VerifyEmailVerifyEmail(BaseModel):
    user: Optional["VerifyEmailVerifyEmailUser"]
    errors: list["VerifyEmailVerifyEmailErrors"]


class VerifyEmailVerifyEmailUser(BaseModel):
    id: str
    email_verified: bool = Field(alias="emailVerified")


class VerifyEmailVerifyEmailErrors(BaseModel):
    code: ErrorCode
    field: Optional[str]
    message: str


VerifyEmail.model_rebuild()
VerifyEmailVerifyEmail.model_rebuild()
