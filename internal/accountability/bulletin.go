package accountability

import (
	"fmt"
	"strings"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// BulletinInput is what a bulletin (通报) reports: the assessment, and
// optionally the triggers that fired and the compensation settlement of the
// same period.
type BulletinInput struct {
	Issuer     string // e.g. 聊城市生态环境局
	Number     string // document number, e.g. 聊环通〔2026〕3号; may be empty
	Assessment Assessment
	Firings    []Firing
	Settlement *Settlement
	// Names are the counties' names by code in the bulletin's language
	// (the English bulletin names every county by them; the Chinese one
	// its firings and settlement).
	Names map[string]string
	// Lang is the bulletin's language: "en", or Chinese (the document the
	// bureau issues). The whole document is in that one language; only
	// the names of counties, the issuer and the document number are as
	// given.
	Lang string
}

// Bulletin renders a deterministic Markdown bulletin in in.Lang. Same
// input, same bytes.
func Bulletin(in BulletinInput) string {
	if in.Lang == "en" {
		return bulletinEN(in)
	}
	a := in.Assessment
	var b strings.Builder
	name := in.countyName
	fmt.Fprintf(&b, "# 关于%s各县(市、区)生态环境质量考核情况的通报\n\n", a.Period.Chinese())
	if in.Number != "" {
		fmt.Fprintf(&b, "%s\n\n", in.Number)
	}
	fmt.Fprintf(&b, "考核办法:%s(版本 %s)。共考核%d个县(市、区)。\n\n", a.Title, a.Scheme, len(a.Counties))

	b.WriteString("## 一、综合排名\n\n| 排名 | 县(市、区) | 总分 |")
	for _, r := range a.Rules {
		fmt.Fprintf(&b, " %s 数值(排名/得分) |", indicatorInfo[r.Indicator].zh)
	}
	rankingRows(&b, a, func(c CountyScore) string { return c.Name }, " %s(%d/%.2f) |")

	b.WriteString("\n## 二、目标完成情况\n\n")
	missed := 0
	for _, c := range a.Counties {
		var parts []string
		for _, it := range c.Items {
			if it.HasTarget && !it.Met {
				parts = append(parts, fmt.Sprintf("%s %s(目标 %s)", indicatorInfo[it.Indicator].zh,
					fmtVal(it.Indicator, it.Value), fmtVal(it.Indicator, it.Target)))
			}
		}
		if len(parts) > 0 {
			missed++
			fmt.Fprintf(&b, "- %s未完成:%s。\n", c.Name, strings.Join(parts, ";"))
		}
	}
	if missed == 0 {
		b.WriteString("各县(市、区)均完成目标。\n")
	}

	if len(in.Firings) > 0 {
		b.WriteString("\n## 三、问责措施\n\n")
		for _, f := range in.Firings {
			fmt.Fprintf(&b, "- 对%s予以%s(%s),请于%s前报送书面整改报告。\n", name(f.County), f.Step.Chinese(),
				f.Reason, f.ReportDue.Add(-1).In(chinatime.Zone).Format("2006年1月2日"))
		}
	}
	if s := in.Settlement; s != nil {
		b.WriteString("\n## 四、环境空气质量生态补偿\n\n")
		fmt.Fprintf(&b, "依据%s,", s.Formula)
		fmt.Fprintf(&b, "上级补偿%s,县级缴纳%s。\n\n", wan(s.Receivable), wan(s.Payable))
		b.WriteString("| 县(市、区) | 得分 | 补偿(+)/缴纳(−) |\n|---|---:|---:|\n")
		for _, l := range s.Lines {
			if l.Exempt {
				fmt.Fprintf(&b, "| %s | — | 不参与 |\n", name(l.County))
				continue
			}
			fmt.Fprintf(&b, "| %s | %.2f | %s |\n", name(l.County), l.Score, signedWan(l.Amount))
		}
	}

	if in.Issuer != "" {
		fmt.Fprintf(&b, "\n%s\n", in.Issuer)
	}
	return b.String()
}

// bulletinEN is the bulletin in English: the same sections, figures and
// measures as the Chinese, the firings' reasons in English (ReasonIn).
func bulletinEN(in BulletinInput) string {
	a := in.Assessment
	var b strings.Builder
	name := in.countyName
	fmt.Fprintf(&b, "# Circular on the environmental-quality assessment of the counties, %s\n\n", a.Period)
	if in.Number != "" {
		fmt.Fprintf(&b, "%s\n\n", in.Number)
	}
	scheme := "assessment scheme " + a.Scheme
	if a.TitleEN != "" {
		scheme = fmt.Sprintf("%s (version %s)", a.TitleEN, a.Scheme)
	}
	fmt.Fprintf(&b, "Assessed under the %s: %d counties.\n\n", scheme, len(a.Counties))

	b.WriteString("## 1. Overall ranking\n\n| Rank | County | Score |")
	for _, r := range a.Rules {
		info := indicatorInfo[r.Indicator]
		fmt.Fprintf(&b, " %s%s value (rank/score) |", info.en, unitSuffix(info.unit))
	}
	rankingRows(&b, a, func(c CountyScore) string { return name(c.County) }, " %s (%d/%.2f) |")

	b.WriteString("\n## 2. Targets\n\n")
	missed := 0
	for _, c := range a.Counties {
		var parts []string
		for _, it := range c.Items {
			if it.HasTarget && !it.Met {
				info := indicatorInfo[it.Indicator]
				parts = append(parts, fmt.Sprintf("%s %s%s (target %s%s)", info.en,
					fmtVal(it.Indicator, it.Value), info.unit, fmtVal(it.Indicator, it.Target), info.unit))
			}
		}
		if len(parts) > 0 {
			missed++
			fmt.Fprintf(&b, "- %s did not meet: %s.\n", name(c.County), strings.Join(parts, "; "))
		}
	}
	if missed == 0 {
		b.WriteString("Every county met its targets.\n")
	}

	if len(in.Firings) > 0 {
		b.WriteString("\n## 3. Accountability measures\n\n")
		for _, f := range in.Firings {
			reason, _ := f.ReasonIn("en")
			fmt.Fprintf(&b, "- %s: %s (%s); a written rectification report is due by %s.\n", name(f.County), f.Step.English(),
				reason, f.ReportDue.Add(-1).In(chinatime.Zone).Format("2 January 2006"))
		}
	}
	if s := in.Settlement; s != nil {
		b.WriteString("\n## 4. Air-quality ecological compensation\n\n")
		fmt.Fprintf(&b, "Under formula %s, the counties receive %s and pay %s.\n\n", s.Formula, yuanEN(s.Receivable), yuanEN(s.Payable))
		b.WriteString("| County | Score | Received (+) / paid (−) |\n|---|---:|---:|\n")
		for _, l := range s.Lines {
			if l.Exempt {
				fmt.Fprintf(&b, "| %s | — | not taking part |\n", name(l.County))
				continue
			}
			sign := ""
			switch {
			case l.Amount > 0:
				sign = "+"
			case l.Amount < 0:
				sign = "−"
			}
			fmt.Fprintf(&b, "| %s | %.2f | %s%s |\n", name(l.County), l.Score, sign, yuanEN(abs64(l.Amount)))
		}
	}
	if in.Issuer != "" {
		fmt.Fprintf(&b, "\n%s\n", in.Issuer)
	}
	return b.String()
}

func unitSuffix(unit string) string {
	if u := strings.TrimSpace(unit); u != "" {
		return " (" + u + ")"
	}
	return ""
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// yuanEN writes whole yuan as "¥1,234,567".
func yuanEN(yuan int64) string {
	s := fmt.Sprintf("%d", abs64(yuan))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if yuan < 0 {
		s = "-" + s
	}
	return "¥" + s
}

// wan formats whole yuan as 万元 with up to 4 decimals, trailing zeros cut.
func wan(yuan int64) string {
	neg := yuan < 0
	if neg {
		yuan = -yuan
	}
	s := fmt.Sprintf("%d", yuan/10000)
	if r := yuan % 10000; r != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%04d", r), "0")
	}
	if neg {
		s = "-" + s
	}
	return s + "万元"
}

func signedWan(yuan int64) string {
	if yuan > 0 {
		return "+" + wan(yuan)
	}
	if yuan < 0 {
		return "−" + wan(-yuan)
	}
	return wan(0)
}

// countyName is a county's name in the bulletin: the caller's name for
// the code (the page's language), else the assessment's, else the code.
func (in BulletinInput) countyName(code string) string {
	if n, ok := in.Names[code]; ok {
		return n
	}
	if c, ok := in.Assessment.County(code); ok && c.Name != "" {
		return c.Name
	}
	return code
}

// rankingRows writes the ranking table's alignment row and a row per
// county: rank, name, total, then each indicator's value, rank and score
// in item's format (the languages differ only in a space).
func rankingRows(b *strings.Builder, a Assessment, name func(CountyScore) string, item string) {
	b.WriteString("\n|---:|---|---:|")
	for range a.Rules {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, c := range a.Counties {
		fmt.Fprintf(b, "| %d | %s | %.2f |", c.Rank, name(c), c.Total)
		for _, it := range c.Items {
			fmt.Fprintf(b, item, fmtVal(it.Indicator, it.Value), it.Rank, it.Score)
		}
		b.WriteString("\n")
	}
}
