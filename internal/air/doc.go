// Package air is the ambient air-quality engine (环境空气质量): the air
// quality index (AQI) under HJ 633-2012 and HJ 633-2026, data validity under
// GB 3095-2012 and GB 3095-2026 (table 4), period statistics under HJ 663-2013,
// the comprehensive index (综合指数) of the 2018 city ranking rules
// (环办监测〔2018〕19号), rankings, and the target budget helpers.
//
// The package is pure: no I/O, no clock, no globals other than constant
// tables. Data in, data out.
//
// # Units and exactness
//
// Concentrations are carried as [Conc], an integer number of thousandths of
// the unit (µg/m³ for SO2, NO2, O3, PM10, PM2.5; mg/m³ for CO), so 35 µg/m³ is
// Conc(35000) and 0.7 mg/m³ is Conc(700). All IAQI arithmetic is done on
// integers or exact rationals, so a value that lies exactly on a breakpoint
// never rounds up by floating-point error (HJ 633-2012 §6.2 and HJ 633-2026
// §4.2.6 round every IAQI and the AQI up to an integer: 进位取整数).
//
// # Rule versions
//
// Both standards were revised in February 2026: data of periods that start
// before 2026-03-01 00:00 China Standard Time follow the 2012 rules, later data
// the 2026 rules; [VersionAt] encodes that and callers may override it.
//
// # Time labels
//
// An hour is identified by the instant it ends, as CNEMC publishes it (16时 =
// 15:00–16:00). A natural day (自然日) D consists of the hours ending D 01:00
// … D+1 00:00, so the hour labelled 00:00 belongs to the previous day. Inside
// the engine an hour of a day is indexed by its start (0 = 00:00–01:00).
package air
