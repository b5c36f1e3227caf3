package forward

import (
	"testing"

	"github.com/ecowatch/ecowatch/hj212"
)

// FuzzParse: a configuration file never panics the parser, and what it
// accepts is valid.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodYAML))
	f.Add([]byte(`{"targets":[{"name":"a","address":"h:1","select":{"all":true},"data":["day"]}]}`))
	f.Add([]byte("targets: [{name: a, retries: -1}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse("f", b)
		if err != nil {
			return
		}
		for _, tg := range cfg.Targets {
			if tg.Name == "" || tg.Window < 1 || tg.Timeout() <= 0 || len(tg.CNs()) == 0 {
				t.Fatalf("accepted an invalid target %+v", tg)
			}
		}
	})
}

// FuzzReadRequest: any frame from an upper platform is read without
// panicking; history ranges read are ordered.
func FuzzReadRequest(f *testing.F) {
	f.Add([]byte("##0101QN=20160801085857223;ST=32;CN=2051;PW=100000;MN=UP1;Flag=5;CP=&&BeginTime=20160801080000;EndTime=20160801085959&&0000\r\n"))
	f.Add([]byte("##0040QN=1;ST=91;CN=9014;PW=1;MN=U;CP=&&&&0000\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr hj212.Frame
		if hj212.Decode(b, &fr, hj212.Options{Mode: hj212.Tolerant}) != nil {
			return
		}
		r := ReadRequest(&fr)
		if r.Kind == KindHistory && r.Bad == "" && r.End.Before(r.Begin) {
			t.Fatalf("history range out of order: %+v", r)
		}
	})
}
