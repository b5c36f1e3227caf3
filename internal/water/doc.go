// Package water is the pure surface-water evaluation engine of ecowatch: no
// I/O, no clock, no state beyond constant tables.
//
// It implements
//   - GB 3838-2002 地表水环境质量标准: single-item classes of Table 1
//     (ItemClass), drinking-water-source items of Tables 2 and 3
//     (EvaluateDrinking);
//   - 地表水环境质量评价办法(试行) (环办〔2011〕22号): the section class by the
//     single-factor method over the 21 evaluated items or the 5
//     automatic-station items (Classify), main pollutants and exceedance
//     multiples, target compliance (Meets), river and basin status
//     (EvaluateRiver, Tally.Status) and the change between two periods
//     (ClassChange, TallyChange, RiverChange);
//   - 地表水环境质量监测数据统计技术规定(试行) (环办监测函〔2020〕82号) and
//     总站水字〔2020〕90号: rounding half to even with per-item decimals
//     (Dec.Round, Rounding), pH averaged through [H+], half the detection
//     limit, monthly, quarterly and annual means (Mean, MonthlyMeans,
//     QuarterMean, AnnualMean);
//   - 城市地表水环境质量排名技术规定(试行) (环办监测〔2017〕51号): the city
//     water quality index CWQI and its change rate (Index, CityCWQI,
//     ChangeRate).
//
// Values are exact decimals (Dec, 1e-9 resolution), so a value at a limit is
// compared exactly. Units are those of GB 3838 (mg/L; fecal coliforms 个/L).
//
// Typical use for one automatic-station reading:
//
//	var s water.Sample
//	s.Body = water.River
//	s.Set(water.NH3N, nh3n) // ...
//	var r water.Result
//	water.Classify(&s, water.Options{Rounding: water.RoundHourly}, &r)
//	// r.Class, r.Items, r.Missing, r.MainPollutants(nil)
//
// Where our reference notes were from memory and could not be checked
// against the official texts, the doc comment of the function says so.
package water
