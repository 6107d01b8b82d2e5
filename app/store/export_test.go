package store

// What the external tests read of the sequencer.
const (
	SequencerSettings = sequencerSettings
	SequenceEventsSQL = sequenceEvents
)
