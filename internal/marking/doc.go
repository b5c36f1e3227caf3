// Package marking is the pure core of the data marking of automatic
// monitoring (自动监测数据标记) and of the effective transmission rate
// (传输有效率): data in, data out; no store, clock or globals.
//
// Sources (cited in the rule data, RuleSet.Sources):
//
//   - 《污染物排放自动监测设备标记规则》, MEE announcement 2022 No. 21, in force
//     from 2023-01-01 for waste incineration power, thermal power, cement
//     and paper; its answer to the press: data marked invalid is not a
//     basis for judging an exceedance; the marks exclude data made abnormal
//     by the equipment's faults, maintenance and commissioning, and by the
//     start-up, shut-down and faults of production and treatment
//     facilities.
//   - 《火电、水泥和造纸行业排污单位自动监测数据标记规则（试行）》 (执法函〔2020〕21号,
//     2020-12-14) and its Guangxi version (桂环函〔2021〕420号): the industry
//     rules of the "1+N" system, marking of production and treatment
//     working conditions and of monitoring anomalies; other industries
//     mark the monitoring system's conditions by reference.
//   - HJ 212-2017 table 8: the data flags a device sends (N, F, M, S, D,
//     C, T, B).
//   - The effective transmission rate of the Ministry's pollution-source
//     monitoring centre: the product of the transmission rate (data
//     received / data due) and the validity rate (valid data / data
//     received); provinces require at least 90 %.
//
// The rule text's own clause numbers and its time limit for marking were
// not found in the stored public material (see README): the time limit is
// rule data (RuleSet.Deadline) with a default of the platform, to be set
// by the bureau.
//
// # Tables
//
// Mark is a row of data_marks keyed (id, version): marks are never edited;
// a correction or a review is a new version. Decision is a row of
// mark_decisions: which rule decided about an exceedance.
package marking
