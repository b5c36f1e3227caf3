package accountability

import (
	"slices"
	"time"
)

// Plot is a construction-land parcel under supervision (地块); it maps to
// soil_plots. Priority marks an 优先监管地块.
type Plot struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	County     string `json:"county"`
	FormerUse  string `json:"former_use"`
	PlannedUse string `json:"planned_use"` // e.g. 住宅, 公共管理与公共服务用地
	Holder     string `json:"holder"`
	Priority   bool   `json:"priority"`
	// ControlListed is the day it entered the 风险管控和修复名录; zero if not
	// listed. ControlRemoved is the day it left.
	ControlListed  time.Time `json:"control_listed,omitzero"`
	ControlRemoved time.Time `json:"control_removed,omitzero"`
}

// Sensitive reports whether the planned use is one that a listed plot may
// not take (住宅, 公共管理与公共服务用地: 土壤污染防治法 第六十六条 as
// summarised in §4.2).
func (p Plot) Sensitive() bool {
	return slices.Contains([]string{"住宅", "residential", "公共管理与公共服务用地", "public-service"}, p.PlannedUse)
}

// SurveyStage is the survey stage (HJ 25.1-2019).
type SurveyStage int

// Stages.
const (
	StageIdentification SurveyStage = 1 // 第一阶段 污染识别
	StageConfirmation   SurveyStage = 2 // 第二阶段 污染证实
	StageSupplementary  SurveyStage = 3 // 第三阶段 补充采样
)

// Outcome is an expert review's conclusion (环办土壤〔2019〕63号).
type Outcome string

// Outcomes.
const (
	OutcomePending  Outcome = "pending"
	OutcomePass     Outcome = "pass"
	OutcomeRevision Outcome = "pass-after-revision" // 修改后通过
	OutcomeFail     Outcome = "fail"
)

// Review is one survey report's review (调查报告评审); it maps to
// soil_reviews, Experts and Conditions to child rows.
type Review struct {
	ID          string      `json:"id"`
	Plot        string      `json:"plot"`
	Stage       SurveyStage `json:"stage"`
	Consultant  string      `json:"consultant"`
	Submitted   time.Time   `json:"submitted"`
	Meeting     time.Time   `json:"meeting,omitzero"`
	Experts     []string    `json:"experts,omitempty"`
	Outcome     Outcome     `json:"outcome"`
	Conditions  []string    `json:"conditions,omitempty"`  // required revisions
	RevisionDue time.Time   `json:"revision_due,omitzero"` // for pass-after-revision
	Revised     time.Time   `json:"revised,omitzero"`      // revision accepted
	AboveRisk   bool        `json:"above_risk_control"`    // levels above the GB 36600 control values
	Revisions   int         `json:"revision_rounds,omitempty"`
}

// Next is what follows a review.
type Next string

// Next steps.
const (
	NextNone       Next = "none"            // concluded: no pollution of concern
	NextWaitReview Next = "await-review"    // not reviewed yet
	NextRevise     Next = "revise"          // revise and resubmit (conditions)
	NextResubmit   Next = "resubmit"        // failed: a new report
	NextStage2     Next = "stage-2"         // stage 1 found possible sources
	NextRiskAssess Next = "risk-assessment" // above the control values: 风险评估, then the 名录
)

// Validate refuses a review inconsistent with its outcome.
func (r Review) Validate() error {
	switch {
	case r.ID == "" || r.Plot == "":
		return refuse("review", r.ID, "id and plot required")
	case r.Stage < StageIdentification || r.Stage > StageSupplementary:
		return refuse("review", r.ID, "stage must be 1, 2 or 3")
	case r.Submitted.IsZero():
		return refuse("review", r.ID, "submission day required")
	case r.Outcome != OutcomePending && r.Meeting.IsZero():
		return refuse("review", r.ID, "a conclusion needs the review meeting day")
	case r.Outcome != OutcomePending && len(r.Experts) == 0:
		return refuse("review", r.ID, "a conclusion needs the expert panel")
	case r.Outcome == OutcomeRevision && (len(r.Conditions) == 0 || r.RevisionDue.IsZero()):
		return refuse("review", r.ID, "pass after revision needs the conditions and a revision deadline")
	case r.AboveRisk && r.Stage == StageIdentification:
		return refuse("review", r.ID, "stage 1 takes no samples, so it cannot find levels above the control values")
	}
	if !slices.Contains([]Outcome{OutcomePending, OutcomePass, OutcomeRevision, OutcomeFail}, r.Outcome) {
		return refuse("review", r.ID, "unknown outcome %q", r.Outcome)
	}
	return nil
}

// NextStep says what the review leads to. foundSources is stage 1's
// finding of a possible pollution source. Overdue revisions are reported by
// RevisionOverdue.
func (r Review) NextStep(foundSources bool) (Next, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	switch r.Outcome {
	case OutcomePending:
		return NextWaitReview, nil
	case OutcomeFail:
		return NextResubmit, nil
	case OutcomeRevision:
		if r.Revised.IsZero() {
			return NextRevise, nil
		}
	}
	if r.AboveRisk {
		return NextRiskAssess, nil
	}
	if r.Stage == StageIdentification && foundSources {
		return NextStage2, nil
	}
	return NextNone, nil
}

// RevisionOverdue reports whether a pass-after-revision is past its
// deadline (the due day included) without an accepted revision.
func (r Review) RevisionOverdue(now time.Time) bool {
	return r.Outcome == OutcomeRevision && r.Revised.IsZero() && !r.RevisionDue.IsZero() &&
		!now.Before(r.RevisionDue.AddDate(0, 0, 1))
}

// SafeUse reports whether a plot may take its planned use: a plot on the
// control list may not take a sensitive use until removed.
func (p Plot) SafeUse(at time.Time) bool {
	listed := !p.ControlListed.IsZero() && !at.Before(p.ControlListed) &&
		(p.ControlRemoved.IsZero() || at.Before(p.ControlRemoved))
	return !(listed && p.Sensitive())
}
