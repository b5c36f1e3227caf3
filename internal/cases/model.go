package cases

import (
	"slices"
	"time"
)

// Source is where a case came from (问题来源).
type Source string

// Sources of cases.
const (
	SourcePatrol     Source = "patrol"            // 巡查, 巡河
	SourceOnline     Source = "online-alert"      // 在线监测 alert rule
	SourceElectric   Source = "electricity-alert" // 分表计电 alert rule
	SourceInspection Source = "inspection"        // 执法检查, 双随机
	SourcePetition   Source = "petition"          // 信访, 12369
	SourceTracing    Source = "tracing"           // 溯源 (water or air source tracing)
	SourceAssignment Source = "assignment"        // 交办 from above (督察, 省厅)
)

// Sources lists every Source in a fixed order (for statistics and forms).
func Sources() []Source {
	return []Source{SourcePatrol, SourceOnline, SourceElectric, SourceInspection, SourcePetition, SourceTracing, SourceAssignment}
}

func (s Source) valid() bool { return slices.Contains(Sources(), s) }

// State is a case's position in the closed loop. Returned, extended and
// reopened are actions, not states: they are recorded as events and move the
// case between the states below (rights-cases-accountability.md §2.5).
type State string

// States of a case.
const (
	StateNone       State = ""           // before registration
	StateRegistered State = "registered" // 登记
	StateAccepted   State = "accepted"   // 受理
	StateRejected   State = "rejected"   // 不予受理, with a reason (terminal)
	StateAssigned   State = "assigned"   // 转办 / 交办
	StateRectifying State = "rectifying" // 办理 / 整改
	StateSubmitted  State = "submitted"  // 办结报告 submitted
	StateVerifying  State = "verifying"  // 现场核查
	StateClosed     State = "closed"     // 销号
)

// States lists every state (StateNone excluded) in loop order.
func States() []State {
	return []State{StateRegistered, StateAccepted, StateRejected, StateAssigned, StateRectifying, StateSubmitted, StateVerifying, StateClosed}
}

// Open reports whether the case still needs work: not rejected, not closed,
// and registered.
func (s State) Open() bool {
	return s != StateNone && s != StateRejected && s != StateClosed
}

// Severity grades a case; it orders lists and may select a policy.
type Severity int

// Severities.
const (
	SeverityGeneral Severity = 1 // 一般
	SeverityMajor   Severity = 2 // 较重
	SeveritySerious Severity = 3 // 严重 / 重大
)

func (s Severity) valid() bool { return s >= SeverityGeneral && s <= SeveritySerious }

// WorkLine is one line of work (工作线) cases are filed under.
type WorkLine struct {
	Code  string `json:"code" yaml:"code"`
	Name  string `json:"name" yaml:"name"`   // Chinese name
	Group string `json:"group" yaml:"group"` // air, water, soil, ...
}

// DefaultWorkLines is the default, configurable list of work lines.
//
// The eight air lines are the usual campaign lines of a city's air
// pollution action plan. They are NOT in our stored references (the brief
// names "the eight key air work lines" without listing them), so treat the
// list as a configurable default, not a sourced fact; air-general takes
// what is not yet triaged (e.g. an air petition).
func DefaultWorkLines() []WorkLine {
	return []WorkLine{
		{"air-industry", "工业企业深度治理", "air"},
		{"air-vocs", "挥发性有机物治理", "air"},
		{"air-kiln", "工业炉窑治理", "air"},
		{"air-dust", "扬尘污染治理", "air"},
		{"air-mobile", "柴油货车及移动源治理", "air"},
		{"air-coal", "散煤及燃煤锅炉治理", "air"},
		{"air-burning", "秸秆及露天焚烧管控", "air"},
		{"air-catering", "餐饮油烟治理", "air"},
		{"air-general", "大气其他", "air"},
		{"water", "水污染防治", "water"},
		{"soil", "土壤污染防治", "soil"},
		{"noise", "噪声污染防治", "noise"},
		{"waste", "固体废物及危险废物", "waste"},
		{"ecology", "生态保护", "ecology"},
		{"other", "其他", "other"},
	}
}

// Case is one problem in the closed loop. It maps to one row of a cases
// table; the slices map to child tables (case_assignees, case_evidence,
// case_escalations) or JSON columns, and Extension to nullable columns.
// The event log (Event) is a separate append-only table keyed (ID, Seq).
type Case struct {
	ID          string   `json:"id"`
	Source      Source   `json:"source"`
	Ref         string   `json:"ref,omitempty"`          // external reference: receipt number (X3LC20240802005), alert key, batch
	Line        string   `json:"line"`                   // WorkLine.Code
	ProblemType string   `json:"problem_type,omitempty"` // finer type for 建章立制 recurrence, e.g. "vocs-leak"
	County      string   `json:"county"`                 // model.County.Code
	Enterprise  string   `json:"enterprise,omitempty"`   // model.Enterprise.USCC; empty when none is involved
	Petition    string   `json:"petition,omitempty"`     // tracking code of the petition that opened it
	Location    string   `json:"location,omitempty"`
	Lat         float64  `json:"lat,omitempty"`
	Lon         float64  `json:"lon,omitempty"`
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	// TitleEN and DescriptionEN are the English of a title and
	// description the platform wrote itself (accountability's firings,
	// soil duties, warning breaches), stored beside the Chinese so that
	// each page shows its own language (TitleLang). Empty on text a person
	// wrote and on cases stored before they existed.
	TitleEN       string   `json:"title_en,omitempty"`
	DescriptionEN string   `json:"description_en,omitempty"`
	Evidence      []string `json:"evidence,omitempty"` // content hashes (lowercase hex SHA-256) of attachments
	Policy        string   `json:"policy"`             // name of the deadline Policy; set from the source at registration

	State     State    `json:"state"`
	Assignees []string `json:"assignees,omitempty"`

	CreatedAt   time.Time `json:"created_at"`
	AcceptedAt  time.Time `json:"accepted_at,omitzero"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at"`

	// Due is the closure deadline (办结/整改期限), set on acceptance and
	// moved by approved extensions and reopening.
	Due          time.Time  `json:"due,omitzero"`
	ExtendedDays int        `json:"extended_days,omitempty"` // total granted extension in this cycle
	Extension    *Extension `json:"extension,omitempty"`     // pending request, if any

	Escalations  []Issued     `json:"escalations,omitempty"`
	Cycle        int          `json:"cycle"` // 0, then +1 on each reopening
	Returned     int          `json:"returned,omitempty"`
	Reason       string       `json:"reason,omitempty"` // last rejection, return or reopening reason
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	RuleReview   bool         `json:"rule_review,omitempty"` // 建章立制: flagged for a rule-making review

	// Alert holds the outlet and findings of an online-monitoring case;
	// its title is written from them in the reader's language (TitleIn).
	Alert *AlertFacts `json:"alert,omitempty"`
	// Report is the text of the latest rectification report (整改报告).
	Report string `json:"report,omitempty"`

	Seq int `json:"seq"` // number of events so far; the next event has Seq+1
}

// Extension is a pending extension request (延期申请).
type Extension struct {
	RequestedAt time.Time `json:"requested_at"`
	By          string    `json:"by"`
	Due         time.Time `json:"due"` // requested new due date
	Reason      string    `json:"reason"`
}

// Issued is an escalation step that was issued for a case.
type Issued struct {
	Level Level     `json:"level"`
	At    time.Time `json:"at"`
	Doc   string    `json:"doc,omitempty"` // document number, e.g. 聊环督〔2026〕12号
	Cycle int       `json:"cycle"`
}

// Role is the kind of user acting on a case.
type Role string

// Roles. RoleSystem is the platform itself: intake of
// petitions, alert rules and deadline timers.
const (
	RoleCity       Role = "city"       // city bureau: everything
	RoleCounty     Role = "county"     // county staff: cases of their county
	RoleEnterprise Role = "enterprise" // an enterprise: its own cases
	RolePublic     Role = "public"     // a petitioner: their own petition, by tracking code
	RoleSystem     Role = "system"
)

// Roles lists every role.
func Roles() []Role { return []Role{RoleCity, RoleCounty, RoleEnterprise, RolePublic, RoleSystem} }

// Actor is who acts: a role and the scope it is bound to.
type Actor struct {
	ID         string `json:"id"` // user id or tracking code; recorded in events
	Role       Role   `json:"role"`
	County     string `json:"county,omitempty"`     // for RoleCounty
	Enterprise string `json:"enterprise,omitempty"` // for RoleEnterprise (USCC)
	Petition   string `json:"petition,omitempty"`   // for RolePublic (tracking code)
}

// Event is one row of the append-only event log of a case: table
// case_events(case_id, seq, at, actor, role, action, from_state, to_state,
// reason, payload JSON), primary key (case_id, seq).
type Event struct {
	Case   string     `json:"case"`
	Seq    int        `json:"seq"`
	At     time.Time  `json:"at"`
	Actor  string     `json:"actor"`
	Role   Role       `json:"role"`
	Action ActionKind `json:"action"`
	From   State      `json:"from"`
	To     State      `json:"to"`
	Reason string     `json:"reason,omitempty"`
	// ReasonEN is the English of a reason the platform wrote (the marking
	// rules' judgement); empty for a person's words and for notes stored
	// before it existed.
	ReasonEN string `json:"reason_en,omitempty"`

	// Payload, by action.
	Assignees    []string     `json:"assignees,omitempty"`
	Evidence     []string     `json:"evidence,omitempty"`
	Due          time.Time    `json:"due,omitzero"`
	Level        Level        `json:"level,omitempty"`
	Doc          string       `json:"doc,omitempty"`
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	// AssigneeNames are the assignees' names at the time, beside their
	// ids in Assignees (the history shows who, not an id).
	AssigneeNames []string `json:"assignee_names,omitempty"`
	Report        string   `json:"report,omitempty"`  // ActSubmit: the report's text
	Finding       *Finding `json:"finding,omitempty"` // ActAddFinding
}

// NotedBefore reports whether the platform already wrote the note reason
// on a case whose history is evs. An alert episode extended by further
// findings is judged again with the same words each time; the case keeps
// the judgement once rather than a copy per finding.
func NotedBefore(evs []Event, reason string) bool {
	for _, e := range evs {
		if e.Action == ActNote && e.Role == RoleSystem && e.Reason == reason {
			return true
		}
	}
	return false
}
