"""The base of the framework sections kept in their own modules (standardization, dedup):
strict like the rest of the framework (an unknown key fails the load) and frozen."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
