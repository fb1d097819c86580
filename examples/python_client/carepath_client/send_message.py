from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import ErrorCode


class SendMessage(BaseModel):
    send_message: "SendMessageSendMessage" = Field(alias="sendMessage")


class SendMessageSendMessage(BaseModel):
    message: Optional["SendMessageSendMessageMessage"]
    errors: list["SendMessageSendMessageErrors"]


class SendMessageSendMessageMessage(BaseModel):
    id: str
    sent_at: datetime = Field(alias="sentAt")
    conversation: "SendMessageSendMessageMessageConversation"


class SendMessageSendMessageMessageConversation(BaseModel):
    id: str


class SendMessageSendMessageErrors(BaseModel):
    code: ErrorCode
    field: Optional[str]
    message: str


SendMessage.model_rebuild()
SendMessageSendMessage.model_rebuild()
SendMessageSendMessageMessage.model_rebuild()
