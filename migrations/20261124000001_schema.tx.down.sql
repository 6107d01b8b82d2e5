DROP TABLE settings;
--bun:split
DROP TABLE legal_pages;
--bun:split
DROP TABLE audit_log;
--bun:split
DROP TABLE events;
--bun:split
DROP TABLE screening_lists;
--bun:split
DROP TABLE appeals;
--bun:split
DROP TABLE moderation_decisions;
--bun:split
DROP TABLE reports;
--bun:split
DROP TABLE tallies;
--bun:split
DROP TABLE votes;
--bun:split
DROP TABLE comments;
--bun:split
DROP TABLE ideas;
--bun:split
DROP TABLE measures;
--bun:split
DROP TABLE expert_group_members;
--bun:split
DROP TABLE expert_group_fields;
--bun:split
DROP TABLE expert_groups;
--bun:split
DROP TABLE fields;
--bun:split
DROP TABLE themes;
--bun:split
DROP TABLE priorities;
--bun:split
DROP TABLE guidelines;
--bun:split
DROP TABLE consultations;
--bun:split
DROP TABLE sessions;
--bun:split
DROP TABLE users;
