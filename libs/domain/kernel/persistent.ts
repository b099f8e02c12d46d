/**
 * The collections decider states hold (members, ACL entries, tokens):
 * persistent maps and sets from `immutable`, which share structure between
 * versions. `evolve` returns a new state without touching the old one, at a
 * cost of O(log32 n) per change (a handful of small node copies: constant in
 * practice) instead of the O(n) of copying a plain object per event, which
 * made replaying n events O(n²).
 *
 * Because no version is ever mutated, any state may be kept and shared: the
 * command runtime caches states and catches them up with later events while
 * other commands still decide on the versions they loaded.
 */
export { Map as PersistentMap, OrderedMap as PersistentOrderedMap, Set as PersistentSet } from 'immutable';
