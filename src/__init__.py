"""Carepath: the GraphQL back end of a behavioral-health practice platform."""
