"""Pure functions on adjacency matrices: DAGs, CPDAGs, I-CPDAGs and d-separation.

The one adjacency convention of causalmix
-----------------------------------------
Nodes are ``0..p-1``. A graph is a square matrix ``A`` with ``A[i, j] != 0`` iff the graph has the
edge ``i -> j``. In a partially directed graph (a CPDAG or I-CPDAG) an undirected edge ``i - j`` is
stored as ``A[i, j] = A[j, i] = 1``. Functions here return ``numpy.int8`` matrices of zeros and ones
and never modify their inputs. Nothing in causalmix transposes this convention.

Modules
-------
dag      validation, acyclicity, topological order, parents/children, v-structures, covered arcs
cpdag    Meek's orientation rules and the (observational) essential graph
icpdag   the interventional essential graph for a family of intervention targets
dsep     d-separation (Bayes ball)

References
----------
.. [1] C. Meek. Causal inference and causal explanation with background knowledge. UAI 1995.
.. [2] A. Hauser and P. Bühlmann. Characterization and greedy learning of interventional Markov
   equivalence classes of directed acyclic graphs. JMLR 13, 2012.
"""

from causalmix.graphs.cpdag import apply_meek_rules, dag_to_cpdag
from causalmix.graphs.dag import (
    check_adjacency,
    check_dag,
    children,
    covered_arcs,
    edges,
    is_dag,
    parents,
    skeleton,
    topological_order,
    v_structures,
)
from causalmix.graphs.dsep import d_separated
from causalmix.graphs.icpdag import dag_to_icpdag

__all__ = [
    "apply_meek_rules",
    "check_adjacency",
    "check_dag",
    "children",
    "covered_arcs",
    "d_separated",
    "dag_to_cpdag",
    "dag_to_icpdag",
    "edges",
    "is_dag",
    "parents",
    "skeleton",
    "topological_order",
    "v_structures",
]
