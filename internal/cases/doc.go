// Package cases is the pure core of the closed loop (发现问题 + 督办落实 +
// 建章立制): the case state machine with its role table, deadlines and
// overdue, the escalation ladder, the recurrence check that flags a case for
// rule-making, the rules of petitions (信访, 12369-style) and statistics. It
// does no I/O, reads no clock (now is passed in) and keeps no state: data
// in, data out. The store, users, the HTTP API and the CLI are built around
// it.
//
// # State machine
//
//	registered ─accept→ accepted ─assign→ assigned ─start→ rectifying ─submit→ submitted ─verify→ verifying ─close→ closed
//	     └─reject→ rejected                                  ↑                                    │               │
//	                                                         └──────────────── return ────────────┘               │
//	                                                         └──────────────── reopen ────────────────────────────┘
//
// Extensions (request, then approve or deny), escalation steps, the
// satisfaction callback and the 建章立制 flag are actions that keep the
// state. Rules.Apply(case, action, actor, now) returns the new case and the
// events to append, or refuses with a *PermissionError (role or scope), a
// *TransitionError carrying the allowed moves, or a *FieldError. Overdue is
// derived from deadlines (Overdue), never stored.
//
// # Mapping to tables
//
//   - Case: one row of cases (id primary key; Seq for optimistic locking:
//     update ... where id = ? and seq = ?); Assignees, Evidence and
//     Escalations in child tables keyed by case id, Extension in nullable
//     columns.
//   - Event: case_events, append-only, primary key (case, seq); the case row
//     and its events are written in one transaction.
//   - Policy and Rung: policies and policy_rungs; WorkLine: work_lines.
//   - Petition: petitions (code unique); its case has Petition = code.
//   - Document numbers (DocNumber) take their sequence from a per-prefix,
//     per-year counter row, incremented in the transaction that records the
//     escalation.
package cases
