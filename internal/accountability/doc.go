// Package accountability is the pure core of county accountability: how the city holds
// its counties to account and how it checks enterprises in heavy-pollution
// episodes. It does no I/O, reads no clock (now is always passed in) and
// keeps no globals: data in, data out. The store, the HTTP API and the CLI
// come later and map these types to tables as noted on each type.
//
//   - Assessment (考核): monthly, quarterly and annual county scores against
//     targets under a versioned Scheme, competition ranking with ties, and
//     a deterministic bulletin (通报) in Chinese with an English summary.
//   - Compensation (环境空气质量生态补偿): the Shandong formula as versioned
//     data (Formula), exact integer arithmetic in fen, documented rounding.
//   - Triggers (约谈 and the steps below it): data-configured predicates
//     over an Assessment; each firing carries a cases.Case with its 30-day
//     report deadline, along the ladder bulletin → warning → summons →
//     listed supervision.
//   - Heavy-pollution weather (重污染天气): warnings without overlap, the
//     emergency reduction list (应急减排清单) and compliance checks from
//     electricity and online series; breaches become cases.
//   - Soil (土壤): duties of key supervised units with due dates, reminders
//     and overdue cases; construction-land survey report reviews.
//   - Governance tasks (治理任务): projects with targets and progress whose
//     completion feeds the assessment.
//
// Bad input (a formula version missing for a period, a target missing for a
// county, an overlapping warning) is refused with an *Error naming what is
// missing; nothing is computed from a guess.
//
// # Mapping to tables
//
//   - Scheme: assessment_schemes (version primary key, valid from/to) with
//     assessment_rules as children (scheme, indicator).
//   - Target: county_targets (scheme period, county, indicator).
//   - CountyValues: county_period_values (period, county, indicator, value).
//   - Formula: compensation_formulas (version) with children for weights and
//     area factors; Settlement lines: compensation_lines (period, county).
//   - TriggerRule: trigger_rules; Firing: trigger_firings (rule, period,
//     county) unique, with the case id it opened.
//   - Warning: pollution_warnings; ReductionEntry: reduction_entries
//     (enterprise, list year) with measures as children (level).
//   - SoilUnit, Duty: soil_units, soil_duties (unit, kind, year, seq);
//     Plot, Review: soil_plots, soil_reviews.
//   - Project: governance_projects.
package accountability
