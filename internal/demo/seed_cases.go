package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// demoPetitions are the public's reports the demo starts with, one per
// stage of the closed loop (stage: how far staff have taken it).
var demoPetitions = []struct {
	cat   cases.Category
	where string
	what  string
	stage string
}{
	{cases.CategoryAir, "东昌府区古楼街道某小区北侧", "夜间有刺鼻气味，疑似附近企业偷排废气", "registered"},
	{cases.CategoryNoise, "茌平区振兴路工地", "工地晚上十点后仍在施工，噪声扰民", "accepted"},
	{cases.CategoryWater, "阳谷县徒骇河桥下", "河面漂浮油污，岸边有排水管", "assigned"},
	{cases.CategoryWaste, "东阿县刘集镇村东", "路边倾倒建筑垃圾和废旧轮胎", "rectifying"},
	{cases.CategoryAir, "冠县工业园区", "某铸造厂烟囱冒黑烟", "submitted"},
	{cases.CategoryWater, "莘县马颊河某排口", "排口出水发黑发臭", "verifying"},
	{cases.CategoryAir, "临清市烟店镇", "露天焚烧秸秆", "closed:satisfied"},
	{cases.CategoryNoise, "高唐县鱼丘湖街道", "歌舞厅深夜噪声扰民", "closed:basically-satisfied"},
	{cases.CategorySoil, "东昌府区道口铺街道", "废弃厂区土壤有异味", "closed:dissatisfied"},
	{cases.CategoryOther, "开发区某路口", "反映的问题不属于生态环境部门职责（城市管理）", "rejected"},
	{cases.CategoryWater, "茌平区某养殖场", "养殖废水直排沟渠", "overdue"},
	{cases.CategoryAir, "阳谷县石佛镇", "餐馆油烟直排", "closed"},
}

// SeedCases gives the closed loop its history through the case service
// (the API's and the CLI's): petitions in every state from just received
// to closed and rated (and one rejected, one overdue), river patrols whose
// findings opened cases, and the escalation ladder's sweep at now, which
// issues the supervision notices (督办) of the overdue cases.
func SeedCases(ctx context.Context, st store.Store, dataDir string, c City, now time.Time, out io.Writer) error {
	at := func(t time.Time) *casesvc.Service {
		return &casesvc.Service{St: st, DataDir: dataDir, Now: func() time.Time { return t }}
	}
	day := 24 * time.Hour
	city := auth.Principal{User: "city", Name: "市局（演示）", Role: model.RoleCity, Via: "demo"}
	countyOf := func(code string) auth.Principal {
		return auth.Principal{User: "county-" + code, Role: model.RoleCounty, County: code, Via: "demo"}
	}
	names := map[string]string{}
	for _, cy := range c.Registry.Counties {
		names[cy.Code] = cy.Name
	}
	// Each county's staff upload their own photo: a case takes only
	// evidence its caller uploaded.
	photos := map[string]string{}
	photoOf := func(p auth.Principal) (string, error) {
		if h, ok := photos[p.User]; ok {
			return h, nil
		}
		a, err := at(now).PutEvidence(ctx, bytes.NewReader(append(demoPhoto(), p.User...)), "整改后现场照片.png", p.User)
		if err != nil {
			return "", fmt.Errorf("demo evidence: %w", err)
		}
		photos[p.User] = a.Hash
		return a.Hash, nil
	}
	counties := c.Registry.Counties
	n := 0
	for i, p := range demoPetitions {
		// The county the place is in (its name begins the location; the
		// development zones by their own name).
		cy := counties[i%len(counties)]
		for _, k := range counties {
			if strings.HasPrefix(p.where, k.Name) || strings.HasPrefix(p.where, "开发区") && strings.Contains(k.Name, "经济技术开发区") {
				cy = k
			}
		}
		start := now.Add(-time.Duration(30-2*i) * day)
		switch p.stage {
		case "overdue":
			start = now.Add(-75 * day)
		case "registered":
			start = now.Add(-20 * time.Hour) // waiting for acceptance, in time
		}
		sp, cs, err := at(start).Intake(ctx, cases.Petition{Category: p.cat, County: cy.Code, Location: p.where, Description: p.what, Anonymous: i%3 == 0,
			Contact: map[bool]string{true: "", false: fmt.Sprintf("1386350%04d", 1000+i*37)}[i%3 == 0]})
		if err != nil {
			return fmt.Errorf("demo petition %d: %w", i+1, err)
		}
		n++
		county := countyOf(cy.Code)
		photo, err := photoOf(county)
		if err != nil {
			return err
		}
		steps := []struct {
			after time.Duration
			a     cases.Action
			who   auth.Principal
			upto  string // the stage this step reaches
		}{
			{1 * day, cases.Action{Kind: cases.ActAccept}, city, "accepted"},
			{2 * day, cases.Action{Kind: cases.ActAssign, Assignees: []string{names[cy.Code] + "生态环境分局"}}, city, "assigned"},
			{3 * day, cases.Action{Kind: cases.ActStart}, county, "rectifying"},
			{8 * day, cases.Action{Kind: cases.ActSubmit, Evidence: []string{photo}, Report: "已现场核实并责令整改，整改完成，附现场照片。"}, county, "submitted"},
			{9 * day, cases.Action{Kind: cases.ActVerify}, city, "verifying"},
			{10 * day, cases.Action{Kind: cases.ActClose}, city, "closed"},
		}
		stage, rating, _ := strings.Cut(p.stage, ":")
		switch stage {
		case "registered":
			continue
		case "rejected":
			if _, _, err := at(start.Add(day)).Act(ctx, cs.ID, 0, cases.Action{Kind: cases.ActReject, Reason: "不属于生态环境部门职责，已告知反映人向城市管理部门反映"}, city); err != nil {
				return fmt.Errorf("demo petition %d: %w", i+1, err)
			}
			continue
		case "overdue":
			stage = "accepted"
		}
		for _, s := range steps {
			if _, _, err := at(start.Add(s.after)).Act(ctx, cs.ID, 0, s.a, s.who); err != nil {
				return fmt.Errorf("demo petition %d (%s): %w", i+1, s.a.Kind, err)
			}
			if s.upto == stage {
				break
			}
		}
		if rating != "" {
			// The petitioner rates, with the rating key given at intake.
			if _, err := at(start.Add(11*day)).Rate(ctx, sp.Code, sp.RatingKey, cases.Satisfaction(rating), ""); err != nil {
				return fmt.Errorf("demo petition %d (rate): %w", i+1, err)
			}
		}
	}
	// River patrols (巡河) of the last weeks, some with findings.
	patrols := []struct {
		area     string
		findings []store.PatrolFinding
	}{
		{"徒骇河东昌府段", []store.PatrolFinding{{Description: "河岸堆放生活垃圾约20平方米", Line: "water", Location: "徒骇河东昌府段左岸"}}},
		{"马颊河莘县段", nil},
		{"小运河阳谷段", []store.PatrolFinding{{Description: "发现一处疑似私设排水口，有少量污水流出", Line: "water", Location: "小运河阳谷段右岸"},
			{Description: "河道内漂浮物较多", Line: "water", Location: "小运河阳谷段桥下"}}},
		{"徒骇河茌平段", nil},
	}
	for i, pt := range patrols {
		cy := counties[i%len(counties)]
		s := now.Add(-time.Duration(3+5*i)*day - 3*time.Hour)
		if _, err := at(s.Add(2*time.Hour)).Patrol(ctx, store.Patrol{County: cy.Code, Area: pt.area, StartedAt: s, EndedAt: s.Add(2 * time.Hour), Findings: pt.findings},
			auth.Principal{User: "patrol-" + cy.Code, Name: cy.Name + "河长办", Role: model.RoleCounty, County: cy.Code, Via: "demo"}); err != nil {
			return fmt.Errorf("demo patrol %d: %w", i+1, err)
		}
	}
	// The ladder at now: overdue cases get their reminders and notices.
	issued, err := at(now).Sweep(ctx)
	if err != nil {
		return fmt.Errorf("demo escalation sweep: %w", err)
	}
	fmt.Fprintf(out, "demo closed loop seeded: %d petitions in every state, %d patrols, %d escalations issued\n", n, len(patrols), issued)
	return nil
}

// demoPhoto is a small picture standing for a rectification photo: a
// green bank over a blue river.
func demoPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			c := color.RGBA{0x4c, 0x9a, 0x4f, 0xff}
			if y > 36 {
				c = color.RGBA{0x3a, 0x7c, 0xc0, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
