from datetime import datetime
from typing import Any

from .async_base_client import AsyncBaseClient
from .book_first_appointment import BookFirstAppointment
from .booking_page import BookingPage
from .input_types import BookFirstAppointmentInput, SignUpInput
from .log_in import LogIn
from .send_message import SendMessage
from .sign_up import SignUp
from .verify_email import VerifyEmail


def gql(q: str) -> str:
    return q


class Carepath(AsyncBaseClient):
    async def sign_up(self, input: SignUpInput, **kwargs: Any) -> SignUp:
        query = gql("""
            mutation SignUp($input: SignUpInput!) {
              signUp(input: $input) {
                token
                user {
                  id
                  email
                  emailVerified
                }
                errors {
                  code
                  field
                  message
                }
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="SignUp", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return SignUp.model_validate(data)

    async def verify_email(self, token: str, **kwargs: Any) -> VerifyEmail:
        query = gql("""
            mutation VerifyEmail($token: String!) {
              verifyEmail(input: {token: $token}) {
                user {
                  id
                  emailVerified
                }
                errors {
                  code
                  field
                  message
                }
              }
            }
            """)
        variables: dict[str, object] = {"token": token}
        response = await self.execute(
            query=query, operation_name="VerifyEmail", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return VerifyEmail.model_validate(data)

    async def log_in(self, email: str, password: str, **kwargs: Any) -> LogIn:
        query = gql("""
            mutation LogIn($email: String!, $password: String!) {
              logIn(input: {email: $email, password: $password}) {
                token
                expiresAt
                errors {
                  code
                  field
                  message
                }
              }
            }
            """)
        variables: dict[str, object] = {"email": email, "password": password}
        response = await self.execute(
            query=query, operation_name="LogIn", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return LogIn.model_validate(data)

    async def booking_page(
        self, slug: str, from_: datetime, to: datetime, **kwargs: Any
    ) -> BookingPage:
        query = gql("""
            query BookingPage($slug: String!, $from: DateTime!, $to: DateTime!) {
              providerByBookingSlug(slug: $slug) {
                id
                displayName
                intakeMode
                offersTelehealth
                availableSlots(from: $from, to: $to) {
                  startsAt
                  endsAt
                }
              }
            }
            """)
        variables: dict[str, object] = {"slug": slug, "from": from_, "to": to}
        response = await self.execute(
            query=query, operation_name="BookingPage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return BookingPage.model_validate(data)

    async def book_first_appointment(
        self, input: BookFirstAppointmentInput, **kwargs: Any
    ) -> BookFirstAppointment:
        query = gql("""
            mutation BookFirstAppointment($input: BookFirstAppointmentInput!) {
              bookFirstAppointment(input: $input) {
                appointment {
                  id
                  startsAt
                  endsAt
                  kind
                  modality
                  status
                }
                errors {
                  code
                  field
                  message
                }
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="BookFirstAppointment",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return BookFirstAppointment.model_validate(data)

    async def send_message(
        self, provider_id: str, body: str, **kwargs: Any
    ) -> SendMessage:
        query = gql("""
            mutation SendMessage($providerId: ID!, $body: String!) {
              sendMessage(input: {providerId: $providerId, body: $body}) {
                message {
                  id
                  sentAt
                  conversation {
                    id
                  }
                }
                errors {
                  code
                  field
                  message
                }
              }
            }
            """)
        variables: dict[str, object] = {"providerId": provider_id, "body": body}
        response = await self.execute(
            query=query, operation_name="SendMessage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return SendMessage.model_validate(data)
