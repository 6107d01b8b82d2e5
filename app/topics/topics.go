// Package topics names, once, what live events are about (their topics)
// and what happened (their types). Domain packages build topics here when
// they emit, the live hub parses the topics sockets ask for here, and the
// page caches listen for them here.
package topics

import (
	"strconv"
	"strings"
)

// Topic is what an event is about; sockets subscribe to topics.
type Topic string

const (
	// Moderation is the moderators' queue (private).
	Moderation Topic = "moderation"
	// Pages is internal, no socket can subscribe to it: an event on it
	// tells every instance's page caches that something many pages show
	// (a consultation's title or phase, a field, a display name) changed.
	// It is for rare administrative changes, since each one empties the
	// page caches of all instances:
	//	tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages)
	Pages Topic = "pages"
	// Accounts is internal too: an event on it says that a session, an
	// account or a group membership changed, so that every instance
	// forgets the sessions it keeps (accounts.Changed).
	Accounts Topic = "accounts"
)

// Item is a measure's or an idea's topic: kind is "measure" or "idea".
func Item(kind string, id int64) Topic { return Topic(kind + ":" + strconv.FormatInt(id, 10)) }

// Measure is a measure's topic, e.g. "measure:12".
func Measure(id int64) Topic { return Item("measure", id) }

// Idea is an idea's topic.
func Idea(id int64) Topic { return Item("idea", id) }

// Consultation is a consultation's topic, by slug.
func Consultation(slug string) Topic { return Topic("consultation:" + slug) }

// User is one account's own topic (private): its notifications. A socket
// asks for it as Me.
func User(id int64) Topic { return Item("user", id) }

// Me is how a socket asks for its own account's topic, and the name its
// frames carry.
const Me = "me"

// Shown is the name a socket knows topic by: its own account's is Me.
func Shown(topic string) string {
	if strings.HasPrefix(topic, "user:") {
		return Me
	}
	return topic
}

// ExpertGroup is an expert group's inbox (private).
func ExpertGroup(id int64) Topic { return Item("expert-group", id) }

// Parsed is a topic a socket asked for, taken apart.
type Parsed struct {
	Topic Topic
	// Group is the expert group of an ExpertGroup topic.
	Group int64
	// User is the account of a User topic.
	User int64
	// Private topics need a role (Moderation, ExpertGroup).
	Private bool
}

// Parse checks a topic a socket asked for and takes it apart; Pages and
// unknown topics are refused.
func Parse(s string) (Parsed, bool) {
	if Topic(s) == Moderation {
		return Parsed{Topic: Moderation, Private: true}, true
	}
	kind, arg, found := strings.Cut(s, ":")
	if !found || arg == "" {
		return Parsed{}, false
	}
	switch kind {
	case "expert-group", "measure", "idea", "user":
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return Parsed{}, false
		}
		switch kind {
		case "expert-group":
			return Parsed{Topic: ExpertGroup(id), Group: id, Private: true}, true
		case "user":
			return Parsed{Topic: User(id), User: id, Private: true}, true
		}
		return Parsed{Topic: Item(kind, id)}, true
	case "consultation":
		if len(arg) > 100 || strings.ContainsAny(arg, ", \t\r\n") {
			return Parsed{}, false
		}
		return Parsed{Topic: Consultation(arg)}, true
	}
	return Parsed{}, false
}

// Type is what happened: an event's type, as sockets receive it.
type Type string

const (
	VoteTally           Type = "vote.tally"
	CommentPublished    Type = "comment.published"
	CommentRemoved      Type = "comment.removed"
	IdeaPublished       Type = "idea.published"
	IdeaUpdated         Type = "idea.updated"
	IdeaRemoved         Type = "idea.removed"
	MeasureUpdated      Type = "measure.updated"
	ConsultationUpdated Type = "consultation.updated"
	ModerationQueue     Type = "moderation.queue"
	ExpertInbox         Type = "expert.inbox"
	PagesChanged        Type = "pages.changed"
	AccountsChanged     Type = "accounts.changed"
	NotificationCreated Type = "notification.created"
)

// IsState reports the types whose events each state the latest value of
// something (an item's tally): of several for one topic, only the last
// needs to reach a socket, so the live hub may skip the earlier ones.
func IsState(t Type) bool { return t == VoteTally }
