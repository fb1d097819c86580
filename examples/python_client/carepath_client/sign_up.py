from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import ErrorCode


class SignUp(BaseModel):
    sign_up: "SignUpSignUp" = Field(alias="signUp")


class SignUpSignUp(BaseModel):
    token: Optional[str]
    user: Optional["SignUpSignUpUser"]
    errors: list["SignUpSignUpErrors"]


class SignUpSignUpUser(BaseModel):
    id: str
    email: str
    email_verified: bool = Field(alias="emailVerified")


class SignUpSignUpErrors(BaseModel):
    code: ErrorCode
    field: Optional[str]
    message: str


SignUp.model_rebuild()
SignUpSignUp.model_rebuild()
