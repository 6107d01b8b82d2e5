package server

import (
	"context"

	"github.com/mitreden/mitreden/app/experts"
	"github.com/mitreden/mitreden/app/participation"
)

// myContributions is what /me shows beyond the account: the person's ideas
// and comments with their states.
func (a *App) myContributions(ctx context.Context, userID int64, page int) (any, error) {
	const perPage = 50
	rows, err := a.Participation.ContributionsOf(ctx, userID, (page-1)*perPage, perPage+1)
	if err != nil {
		return nil, err
	}
	more := len(rows) > perPage
	if more {
		rows = rows[:perPage]
	}
	reports, err := a.Participation.ReportsOf(ctx, userID, 50)
	if err != nil {
		return nil, err
	}
	votes, err := a.Participation.VotesOf(ctx, userID, 200)
	if err != nil {
		return nil, err
	}
	groups, err := a.Experts.GroupsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &MyPage{Contributions: rows, Page: page, More: more, Reports: reports, Votes: votes, Groups: groups}, nil
}

// MyPage is the part of /me about contributions and reports.
type MyPage struct {
	Contributions []participation.MyContribution
	Page          int
	More          bool
	// Reports are the person's reports with their outcome.
	Reports []participation.MyReport
	// Votes are the person's votes, the latest first.
	Votes []participation.MyVote
	// Groups are the expert groups the person works in.
	Groups []experts.Group
}
