"""The options of the structure search as one validated, frozen object."""

from __future__ import annotations

from dataclasses import dataclass

from causalmix._validation import check_alpha, check_positive_int

__all__ = ["SELECTS", "STARTS", "SearchOptions", "resolve_search_options"]

STARTS = ("min_degree", "mixed")
SELECTS = ("lexicographic", "total")


@dataclass(frozen=True)
class SearchOptions:
    """The six options of the UT-IGSP / IGSP / GSP search, validated once.

    The public entry points (:func:`~causalmix.discovery.ut_igsp` and the others) take them as
    keywords and build one of these; :class:`~causalmix.MixtureUTIGSP` builds one from its
    parameters and hands it down with ``options=``.

    Parameters
    ----------
    alpha_ci, alpha_inv : float, default 1e-3
        Levels of the CI and invariance tests, in (0, 1); used where the Gaussian testers are
        built (an entry point given testers uses theirs).
    depth : int, default 4
        Maximal number of consecutive plateau moves (stack depth of the DFS), >= 0.
    n_runs : int, default 5
        Independent runs from randomised starting permutations, >= 1.
    start : {"min_degree", "mixed"}, default "min_degree"
        Starting permutations (see :func:`~causalmix.discovery.ut_igsp_from_testers`).
    select : {"lexicographic", "total"}, default "lexicographic"
        How the best run is chosen (see :func:`~causalmix.discovery.ut_igsp_from_testers`).

    Raises
    ------
    ValueError
        For an option out of range or not one of the listed values (the message names it).
    TypeError
        For a level or count of the wrong kind.
    """

    alpha_ci: float = 1e-3
    alpha_inv: float = 1e-3
    depth: int = 4
    n_runs: int = 5
    start: str = "min_degree"
    select: str = "lexicographic"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "alpha_ci", check_alpha(self.alpha_ci, "alpha_ci"))
        set_(self, "alpha_inv", check_alpha(self.alpha_inv, "alpha_inv"))
        set_(self, "depth", check_positive_int(self.depth, "depth", minimum=0))
        set_(self, "n_runs", check_positive_int(self.n_runs, "n_runs"))
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {self.start!r}")
        if self.select not in SELECTS:
            raise ValueError(f"select must be one of {SELECTS}, got {self.select!r}")


_DEFAULTS = SearchOptions()


def resolve_search_options(options: SearchOptions | None, **keywords: object) -> SearchOptions:
    """The options of an entry point called with ``options=`` and/or the option keywords.

    ``options`` is returned as it is (validated when built) if every keyword keeps its default;
    without it the keywords are validated into a new :class:`SearchOptions`.

    Raises
    ------
    TypeError
        If ``options`` is not a SearchOptions.
    ValueError
        If ``options`` is given together with a keyword that differs from its default.
    """
    if options is None:
        return SearchOptions(**keywords)
    if not isinstance(options, SearchOptions):
        raise TypeError(f"options must be a SearchOptions or None, got {type(options).__name__}")
    changed = [name for name, value in keywords.items() if value != getattr(_DEFAULTS, name)]
    if changed:
        raise ValueError(
            f"give the search options either as options= or as keywords, not both; got options "
            f"and {changed}"
        )
    return options
