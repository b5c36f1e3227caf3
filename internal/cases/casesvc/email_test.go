package casesvc

import (
	"bufio"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"mime"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a minimal SMTP server (RFC 5321: EHLO, MAIL, RCPT, DATA,
// QUIT) that keeps the messages it receives, so that the mailer is tested
// against the protocol, not against a stub of net/smtp.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []smtpMsg
	got  chan struct{}
}

type smtpMsg struct {
	from string
	to   []string
	data string
}

func newSMTPServer(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, got: make(chan struct{}, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { c.Write([]byte(line + "\r\n")) }
	say("220 test ESMTP")
	var m smtpMsg
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-test")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m = smtpMsg{from: angle(line)}
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.to = append(m.to, angle(line))
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			m.data = b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			s.got <- struct{}{}
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 OK")
		}
	}
}

// angle returns the path between < and > of a MAIL or RCPT command.
func angle(line string) string {
	_, rest, _ := strings.Cut(line, "<")
	path, _, _ := strings.Cut(rest, ">")
	return path
}

func TestParseEmailTo(t *testing.T) {
	got, err := ParseEmailTo([]string{"county:371502=a@x.cn, b@x.cn", "city=city@x.cn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got["county:371502"]) != 2 || got["county:371502"][1] != "b@x.cn" || got["city"][0] != "city@x.cn" {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{"county:371502", "=a@x.cn", "city=", "city=not-an-address", "city=a@x.cn\r\nBcc: evil@x"} {
		if _, err := ParseEmailTo([]string{bad}); err == nil {
			t.Errorf("ParseEmailTo(%q) accepted", bad)
		}
	}
}

// A registered case is mailed to the addresses configured for its inbox
// recipients (the city and its county), with a UTF-8 subject; recipients
// without addresses get no mail.
func TestNotificationMail(t *testing.T) { storetest.Each(t, testNotificationMail) }

func testNotificationMail(t *testing.T, be storetest.Backend) {
	srv := newSMTPServer(t)
	s, _ := newService(t, be)
	s.Mailer = &Mailer{Addr: srv.ln.Addr().String(), From: "ecowatch@bureau.example",
		To: map[string][]string{"city": {"duty@bureau.example"}, "county:nowhere": {"never@x.example"}}}
	c := register(t, s)
	select {
	case <-srv.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no mail received")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	m := srv.msgs[0]
	if m.from != "ecowatch@bureau.example" || len(m.to) != 1 || m.to[0] != "duty@bureau.example" {
		t.Errorf("envelope from %q to %v", m.from, m.to)
	}
	var subject string
	for _, l := range strings.Split(m.data, "\r\n") {
		if v, ok := strings.CutPrefix(l, "Subject: "); ok {
			subject, _ = new(mime.WordDecoder).DecodeHeader(v)
		}
	}
	if !strings.Contains(subject, "新案件 "+c.ID) || !strings.Contains(subject, "New case "+c.ID) || strings.Contains(subject, "case.registered") {
		t.Errorf("subject %q does not name the case and the event in words", subject)
	}
	if !strings.Contains(m.data, "案件 Case: "+c.ID) {
		t.Errorf("body does not name the case:\n%s", m.data)
	}
}
