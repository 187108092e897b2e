"""Chapter 05's parameters checked together before any kernel starts: what a range alone cannot say.

The onset of a crisis is traced back from the alarm with a lower bar than the alarm's own; an onset bar above
the alarm's would date the onset after the alarm that found it.
"""

from __future__ import annotations

from collections.abc import Mapping


def check_params(params: Mapping[str, object]) -> list[str]:
    """Every problem of chapter 05's parameters taken together (empty when it can run with them).

    Parameters
    ----------
    params : mapping
        The chapter's resolved parameter values (each already of its type and within its range).

    Returns
    -------
    list of str
        One message per problem, naming the parameters.
    """
    threshold, onset = params.get("threshold"), params.get("onset_threshold")
    if threshold is not None and onset is not None and onset > threshold:
        return [f"onset_threshold ({onset}) is above threshold ({threshold}): the onset is traced back from an "
                "alarm with a lower bar than the alarm's, so give an onset_threshold of at most threshold"]
    return []
