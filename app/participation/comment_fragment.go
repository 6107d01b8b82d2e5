package participation

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
)

// commentInThread reads one comment of an item as v sees it in its thread
// (access.SeesInThread), with the item; not found for anything else, so
// that asking reveals nothing.
func (s *Service) commentInThread(ctx context.Context, v *access.Viewer, kind Kind, id, commentID int64) (*CommentRow, *target, error) {
	t, err := loadTarget(ctx, s.st, kind, id)
	if err != nil {
		return nil, nil, err
	}
	if !t.visibleTo(v) {
		return nil, nil, problem.NotFound()
	}
	var rows []CommentRow
	if err := s.st.DB.NewRaw(commentSelect+" WHERE c.id = ? AND c.target_kind = ? AND c.target_id = ?", commentID, kind, id).Scan(ctx, &rows); err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 || !v.SeesInThread(rows[0].Status, rows[0].AuthorID) {
		return nil, nil, problem.NotFound()
	}
	return &rows[0], t, nil
}

// inContext adds the comment a page was opened at (?comment=, the
// moderators' "see in context") to the discussion when it is not there
// yet: for moderators one not public, marked with its state, in its place
// in the thread. Whether the reader sees it is access.SeesInThread's; a
// comment they do not see, or a malformed number, changes nothing.
func (h *Handlers) inContext(c *fiber.Ctx, d *Discussion) error {
	id, ok := jsonapi.ParseID(c.Query("comment"))
	if !ok || d.has(id) {
		return nil
	}
	row, _, err := h.svc.commentInThread(c.UserContext(), access.From(c), d.Kind, d.ItemID, id)
	var p *problem.Problem
	if errors.As(err, &p) && p.Status == fiber.StatusNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	d.place(*row)
	return nil
}

// has reports whether comment id is on this page of the discussion.
func (d *Discussion) has(id int64) bool {
	for _, t := range d.Threads {
		if t.ID == id {
			return true
		}
		for _, r := range t.Replies {
			if r.ID == id {
				return true
			}
		}
	}
	return false
}

// place puts a comment where it belongs among the page's comments, in
// order: a reply under its comment when that is on the page, else (and
// a comment) among the threads.
func (d *Discussion) place(row CommentRow) {
	if row.ParentID != nil {
		for i := range d.Threads {
			if d.Threads[i].ID == *row.ParentID {
				d.Threads[i].Replies = insertByID(d.Threads[i].Replies, row)
				return
			}
		}
	}
	d.Threads = insertByID(d.Threads, row)
}

func insertByID(rows []CommentRow, row CommentRow) []CommentRow {
	i, _ := slices.BinarySearchFunc(rows, row.ID, func(r CommentRow, id int64) int { return cmp.Compare(r.ID, id) })
	return slices.Insert(rows, i, row)
}

// discussionPart is the dot's Data of a part of a discussion rendered by
// itself: the templates read the discussion from there.
type discussionPart struct {
	Discussion *Discussion
}

// CommentFragment is GET /m/{id}/comments/{comment} (and /i/…): one
// comment as the item's page prints it for the reader, with its reply and
// report forms. live.js inserts it when the comment is published, so a
// comment that arrives live looks and works as one rendered with the page.
func (h *Handlers) CommentFragment(kind Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ids, err := jsonapi.PathIDs(c, "id", "comment")
		if err != nil {
			return err
		}
		id, commentID := ids[0], ids[1]
		row, t, err := h.svc.commentInThread(c.UserContext(), access.From(c), kind, id, commentID)
		if err != nil {
			return err
		}
		show(row, locale.From(c))
		d := h.newDiscussion(c, kind, id, itemPath(kind, id), t.Phase, t.Moderation, 0)
		d.CanWrite = d.CanWrite && t.Status == StatusPublished
		view := h.pages.NewView(c, "")
		view.Data = &discussionPart{Discussion: d}
		// Its forms carry the reader's CSRF token: for this reader only.
		return sendFragment(c)(h.pages.Fragment("measure", "comment-li", d.Item(view, *row)))
	}
}

// sendFragment answers a piece of a page that live.js inserts, kept out of
// caches: it is rendered for one reader.
func sendFragment(c *fiber.Ctx) func(html string, err error) error {
	return func(html string, err error) error {
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Type("html", "utf-8")
		return c.SendString(html)
	}
}

// IdeaCard is GET /f/{id}/ideas/{idea}: one idea's card as the field page
// lists it, for a card that arrives live, so that it reads like the rest
// of the list (dates, roles, triage state in the reader's language). An
// idea the reader would not find in the field's list is not found.
func (h *Handlers) IdeaCard(c *fiber.Ctx) error {
	ids, err := jsonapi.PathIDs(c, "id", "idea")
	if err != nil {
		return err
	}
	v := access.From(c)
	row, err := h.svc.GetIdea(c.UserContext(), v, ids[1])
	if err != nil {
		return err
	}
	if row.FieldID != ids[0] || !access.Listed(row.Status, v.SignedIn() && v.UserID == row.AuthorID) {
		return problem.NotFound()
	}
	// An author's own waiting idea is theirs alone.
	return sendFragment(c)(h.pages.Fragment("field", "idea-card", map[string]any{"V": h.pages.NewView(c, ""), "Idea": row}))
}
