from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import ErrorCode


class LogIn(BaseModel):
    log_in: "LogInLogIn" = Field(alias="logIn")


class LogInLogIn(BaseModel):
    token: Optional[str]
    expires_at: Optional[datetime] = Field(alias="expiresAt")
    errors: list["LogInLogInErrors"]


class LogInLogInErrors(BaseModel):
    code: ErrorCode
    field: Optional[str]
    message: str


LogIn.model_rebuild()
LogInLogIn.model_rebuild()
