package casesvc

import (
	"bytes"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"sort"
	"strings"
	"time"
)

// Mailer sends notifications by email when SMTP is configured.
// Recipients are the same keys as the
// in-app inbox ("city", "county:<code>", "enterprise:<uscc>", a user ID);
// To maps each key to the addresses that receive its mail. A key without
// addresses gets its inbox entry only.
type Mailer struct {
	Addr     string              // SMTP server host:port
	From     string              // envelope and header sender
	Username string              // PLAIN auth when set (only over TLS or to localhost, as net/smtp requires)
	Password string              // never logged
	To       map[string][]string // inbox key -> addresses

	// send replaces smtp.SendMail in tests.
	send func(addr string, a smtp.Auth, from string, to []string, msg []byte) error
}

// ParseEmailTo parses "KEY=addr1,addr2" items (the --email-to flag) into
// a recipient map, naming the item that is wrong.
func ParseEmailTo(items []string) (map[string][]string, error) {
	out := map[string][]string{}
	for i, it := range items {
		key, list, ok := strings.Cut(it, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.TrimSpace(list) == "" {
			return nil, fmt.Errorf("email recipient %d %q: want KEY=address[,address...], e.g. county:371502=env@example.org", i+1, it)
		}
		for _, a := range strings.Split(list, ",") {
			a = strings.TrimSpace(a)
			if !strings.Contains(a, "@") || strings.ContainsAny(a, " \r\n<>") {
				return nil, fmt.Errorf("email recipient %d %q: %q is not an address", i+1, it, a)
			}
			out[key] = append(out[key], a)
		}
	}
	return out, nil
}

// addresses returns the distinct addresses of the inbox keys, sorted.
func (m *Mailer) addresses(keys []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range keys {
		for _, a := range m.To[k] {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// message builds an RFC 5322 message with a UTF-8 subject (RFC 2047
// encoded word) and a quoted-printable-free 8-bit UTF-8 body.
func (m *Mailer) message(to []string, subject, body string, at time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", m.From)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(to, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", at.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for _, line := range strings.Split(body, "\n") {
		// SMTP transparency (RFC 5321 §4.5.2) is done by net/smtp; keep
		// CR LF line ends.
		b.WriteString(strings.TrimRight(line, "\r"))
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// Send mails subject and body to the addresses of the inbox keys. No
// addresses, no mail.
func (m *Mailer) Send(keys []string, subject, body string, at time.Time) error {
	to := m.addresses(keys)
	if len(to) == 0 {
		return nil
	}
	var a smtp.Auth
	if m.Username != "" {
		host, _, err := net.SplitHostPort(m.Addr)
		if err != nil {
			return fmt.Errorf("smtp address %q: %w", m.Addr, err)
		}
		a = smtp.PlainAuth("", m.Username, m.Password, host)
	}
	send := m.send
	if send == nil {
		send = smtp.SendMail
	}
	if err := send(m.Addr, a, m.From, to, m.message(to, subject, body, at)); err != nil {
		return fmt.Errorf("send mail to %d recipients via %s: %w", len(to), m.Addr, err)
	}
	return nil
}
