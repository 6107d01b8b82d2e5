package participation

import (
	"errors"
	"html/template"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/pages"
)

// personalParts fills in an item page kept for signed-in readers (see
// pages.CachedPersonal): the vote box, which shows the reader's vote, and
// the actions under each comment, which are edit and withdraw under the
// reader's own comments and the report form under everyone else's.
type personalParts struct {
	svc    *Service
	pages  *pages.Renderer
	kind   Kind
	itemID int64
	// votes are the vote box for no vote, against, neutral and for, each
	// for a reader who does not follow the item and for one who does.
	votes [4][2]string

	// actions are filled in while the page renders, before the cache
	// hands the parts to any other request, and only read after.
	actions map[int64]*commentActions
}

// Marker tags.
const (
	markVote    = 'V'
	markActions = 'A'
)

type commentActions struct {
	author int64
	others string
	// own is rendered when the author first reads the page.
	ownOnce sync.Once
	own     string
	ownErr  error
	item    CommentItem
}

// newPersonalParts prepares the parts of page view (being rendered as a
// stencil): the vote box in each of its states, from voting.
func (h *Handlers) newPersonalParts(kind Kind, itemID int64, view *pages.View, voting *Voting, withVoting func(*Voting) any) (*personalParts, error) {
	p := &personalParts{svc: h.svc, pages: h.pages, kind: kind, itemID: itemID, actions: map[int64]*commentActions{}}
	for i, mine := range []*int{nil, ptr(-1), ptr(0), ptr(1)} {
		for j, following := range []bool{false, true} {
			vt := *voting
			vt.MyVote, vt.Following = mine, following
			pv := *view
			pv.Stencil, pv.Data = false, withVoting(&vt)
			box, err := h.pages.Fragment("measure", "vote-box", &pv)
			if err != nil {
				return nil, err
			}
			p.votes[i][j] = box
		}
	}
	return p, nil
}

// errNoParts is a template asking for a marker on a page rendered
// without parts: a handler that set Stencil but not its parts.
var errNoParts = errors.New("participation: page marker without parts")

func ptr(n int) *int { return &n }

// Personal reads the reader's vote and whether they follow the item, and
// answers how to fill in the page.
func (p *personalParts) Personal(c *fiber.Ctx, v *access.Viewer) (func(tag byte, arg int64) string, error) {
	r, err := p.svc.readerOf(c.UserContext(), v, p.kind, p.itemID)
	if err != nil {
		return nil, err
	}
	following := 0
	if r.Following {
		following = 1
	}
	return func(tag byte, arg int64) string {
		switch tag {
		case markVote:
			if r.MyVote == nil {
				return p.votes[0][following]
			}
			return p.votes[*r.MyVote+2][following]
		case markActions:
			a := p.actions[arg]
			if a == nil {
				return ""
			}
			if a.author != v.UserID {
				return a.others
			}
			a.ownOnce.Do(func() { a.own, a.ownErr = p.pages.Fragment("measure", "comment-actions", a.item) })
			if a.ownErr != nil {
				// Not a page to show half of: the reader gets the
				// report form, as if the comment were someone else's.
				return a.others
			}
			return a.own
		}
		return ""
	}, nil
}

// Size counts the parts' text; a comment's own actions, rendered later,
// are about as long as the others'.
func (p *personalParts) Size() int {
	n := 0
	for _, v := range p.votes {
		n += len(v[0]) + len(v[1])
	}
	for _, a := range p.actions {
		n += 2 * len(a.others)
	}
	return n
}

// Marker stands for the vote box in a page kept for signed-in readers.
func (v *Voting) Marker() template.HTML { return template.HTML(pages.Mark(markVote, 0)) }

// ActionsMarker stands for the actions under comment c in a page kept
// for signed-in readers, and prepares both forms of them.
func (d *Discussion) ActionsMarker(v *pages.View, c *CommentRow) (template.HTML, error) {
	p := d.personal
	if p == nil {
		return "", errNoParts
	}
	// v's viewer is already a stand-in that owns no comment.
	others := *v
	others.Stencil = false
	text, err := p.pages.Fragment("measure", "comment-actions", CommentItem{View: &others, Comment: c})
	if err != nil {
		return "", err
	}
	own := others
	author := *v.Viewer
	author.UserID = c.AuthorID
	own.Viewer = &author
	p.actions[c.ID] = &commentActions{author: c.AuthorID, others: text, item: CommentItem{View: &own, Comment: c}}
	return template.HTML(pages.Mark(markActions, c.ID)), nil
}
