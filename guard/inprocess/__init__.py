"""In-process doors into the pipeline: `@guard.protect(...)`, `guard.wrap(client)`, `use_context`.

Light on import: the transports, the SDK glue and the private loop load on first use.
"""

from guard.inprocess.context import current_context, use_context
from guard.inprocess.protect import last_decision

__all__ = ["current_context", "last_decision", "use_context"]
