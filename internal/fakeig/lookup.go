package fakeig

// Fixture returns the fixture by shortcode (StoryID and StoryUser find the story).
func (s *Server) Fixture(code string) (Fixture, bool) {
	f := s.cat.lookup(code)
	if f == nil {
		return Fixture{}, false
	}
	return f.clone(), true
}

// Fixtures returns every fixture the fake serves, in a stable order.
func (s *Server) Fixtures() []Fixture {
	out := make([]Fixture, 0, len(s.cat.list))
	for _, f := range s.cat.list {
		out = append(out, f.clone())
	}
	return out
}
