package mailtest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

// Message is a received mail, read like a mail program reads it.
type Message struct {
	Envelope Envelope
	Header   mail.Header
	// Subject is the decoded subject.
	Subject string
	// Text and HTML are the decoded parts of multipart/alternative.
	Text, HTML string
	Raw        []byte
}

// Envelope is what the SMTP conversation said: the addresses, whether it
// ran over TLS, and who signed in.
type Envelope struct {
	From, To string
	TLS      bool
	User     string
}

// Parse reads a message: its headers, and a multipart/alternative body
// with a text/plain and a text/html part in any transfer encoding.
func Parse(raw []byte) (*Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m := &Message{Header: msg.Header, Raw: raw}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, err
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if mediaType != "multipart/alternative" {
		return nil, fmt.Errorf("content type %s, want multipart/alternative", mediaType)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		body, err := decodePart(part)
		if err != nil {
			return nil, err
		}
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
	if m.Text == "" || m.HTML == "" {
		return nil, fmt.Errorf("want a text and an HTML part")
	}
	return m, nil
}

// decodePart undoes a part's transfer encoding. multipart.Reader undoes
// quoted-printable itself and then drops the header, so a part that still
// names it is decoded here.
func decodePart(part *multipart.Part) (string, error) {
	var r io.Reader = part
	switch strings.ToLower(part.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(part)
	case "base64":
		return "", fmt.Errorf("base64 parts are not expected")
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

var urls = regexp.MustCompile(`https?://[^\s<>"()]+`)

// Links are the web addresses in the text part, in order.
func (m *Message) Links() []string { return urls.FindAllString(m.Text, -1) }

// Link is the first address in the text part that contains part.
func (m *Message) Link(part string) string {
	for _, l := range m.Links() {
		if strings.Contains(l, part) {
			return l
		}
	}
	return ""
}
