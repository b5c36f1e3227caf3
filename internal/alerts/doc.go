// Package alerts is the streaming rule engine over the monitoring data of
// the gateway. It is pure: no I/O, no clock (times come
// with the samples and with Tick), no globals.
//
// The rules:
//
//   - exceedance: an hourly (or daily) mean over the outlet's limit, measured
//     (Avg) or converted (ZsAvg, 折算), or under a lower limit (pH);
//     Exceedance.PersistCount consecutive hours open a case;
//   - offline: a device silent for more than Offline.After (Tick);
//   - flag overuse: the share of maintenance (M) and calibration (C) values
//     in a sliding window above a threshold;
//   - suspicious data (possible falsification, 数据造假): flat lines (the
//     same value N times in a row), implausible steps, values pinned just
//     under the limit (a share of values within Band below it); values
//     long at the analyser's detection limit and values long within 2 % of
//     its measuring range (signs 20 and 22 of the list in
//     internal/marking.Signs; runs of consecutive valid values, for series
//     whose SeriesSpec carries the registry's analyser);
//   - electricity sub-meters (分表计电): treatment equipment off or
//     under-loaded while production runs, and production inside the
//     restricted windows of the enterprise's class (staggered production,
//     refuelling, construction).
//
// Every rule deduplicates, cools down and escalates the same way (Timing):
// the first firing emits NotifySelfCheck for the enterprise; a problem that
// persists emits OpenCase once, for the county's enforcement staff (the
// caller registers a cases.Case with Source Rule.CaseSource() and Ref
// Outcome.Key()).
//
// # Hot path
//
// Series are resolved to dense SeriesIDs once (Lookup); Observe then works
// on a slice element with no map, no lock and no allocation unless an
// outcome is appended to the caller's slice. Share windows are rings of
// Config.Buckets buckets with running sums, so each value costs O(1).
//
// # Tables
//
// Config, SeriesSpec, MeterGroup and Schedule are configuration (rows of
// alert_config, meter_groups, schedules); Outcome is a row of
// alert_outcomes keyed by (rule, series or device, since, kind).
package alerts
