package fakes

// Word lists for the generated part of the catalog. They aim at titles and names that look like
// a real publisher's list (including some diacritics, which clients must normalise), not at
// realism of any particular book.

var titleAdjectives = []string{
	"Silent", "Hidden", "Broken", "Golden", "Last", "Burning", "Quiet", "Lost", "Distant", "Bright",
	"Hollow", "Wild", "Sleeping", "Glass", "Paper", "Iron", "Salt", "Secret", "Invisible", "Crimson",
	"Northern", "Endless", "Little", "Drowned", "Forgotten", "Electric", "Gentle", "Bitter", "Open", "Winter",
	"Summer", "Midnight", "Borrowed", "Restless", "Unquiet", "Radiant", "Shifting", "Stolen", "Faithful", "Wandering",
	"Ordinary", "Impossible", "Final", "Southern", "Scattered", "Luminous", "Savage", "Tender", "Cold", "Second",
}

var titleNouns = []string{
	"River", "House", "Garden", "Orchard", "Harbor", "Island", "Mountain", "Lantern", "Mirror", "Map",
	"Cartographer", "Archivist", "Lighthouse", "Library", "Daughter", "Sister", "Widow", "Inheritance", "Covenant", "Season",
	"Empire", "Kingdom", "Storm", "Tide", "Fire", "Ashes", "Bones", "Letters", "Songs", "Birds",
	"Wolves", "Foxes", "Orchid", "Violin", "Clockmaker", "Beekeeper", "Ferryman", "Translator", "Astronomer", "Botanist",
	"Country", "City", "Border", "Frontier", "Shore", "Valley", "Forest", "Desert", "Crossing", "Bridge",
	"Promise", "Secret", "Memory", "Silence", "Reckoning", "Return", "Departure", "Arrival", "Hunger", "Harvest",
}

var titlePlaces = []string{
	"Montréal", "Lisbon", "Kraków", "São Paulo", "Bogotá", "Zürich", "Lagos", "Kyoto", "Marrakesh", "Odessa",
	"Galveston", "Duluth", "Tangier", "Reykjavík", "Valparaíso", "Trieste", "Savannah", "Nairobi", "Hanoi", "Córdoba",
}

var firstNames = []string{
	"James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Richard", "Elizabeth",
	"Thomas", "Susan", "Daniel", "Margaret", "Anthony", "Sarah", "Mark", "Karen", "Paul", "Nancy",
	"Andrew", "Emily", "Joshua", "Rachel", "Kevin", "Laura", "Brian", "Hannah", "Samuel", "Olivia",
	"Chimamanda", "Haruki", "Zoë", "José", "Renée", "Søren", "Ayesha", "Mateo", "Ingrid", "Kwame",
	"Elif", "Tomás", "Nadia", "Ravi", "Mei", "Yusuf", "Anaïs", "Lucía", "Olga", "Ngozi",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson",
	"White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King", "Wright",
	"Okafor", "Nakamura", "Núñez", "Kowalski", "Lindqvist", "Haddad", "Adeyemi", "Brontë", "Ferreira", "Schäfer",
	"O'Connell", "McAllister", "Abernathy", "Castellanos", "Whitfield", "Delacroix", "Osei", "Petrov", "Iyer", "Dubois",
}

var hardcoverPublishers = []string{
	"Alfred A. Knopf", "Doubleday", "Riverhead Books", "Viking", "Penguin Press", "Scribner", "Simon & Schuster",
	"HarperCollins", "William Morrow", "Little, Brown and Company", "Farrar, Straus and Giroux", "Random House",
	"Crown", "Grove Press", "St. Martin's Press", "Ecco", "Hogarth", "Bloomsbury", "W. W. Norton & Company",
	"Houghton Mifflin", "Algonquin Books", "Tor Books", "Del Rey", "Orbit", "Atria Books", "G. P. Putnam's Sons",
}

var paperbackPublishers = []string{
	"Vintage", "Anchor Books", "Penguin Books", "Picador", "Graywolf Press", "Coffee House Press", "Milkweed Editions",
	"Europa Editions", "New Directions", "Tin House", "Harper Perennial", "Mariner Books", "Grand Central Publishing",
}

var audioPublishers = []string{"Random House Audio", "Penguin Audio", "HarperAudio", "Macmillan Audio", "Audible Studios"}

var ebookPublishers = []string{"Independently published", "Kindle Direct Publishing", "Bookouture", "Thomas & Mercer"}

var nonfictionSubtitles = []string{
	"A Memoir", "A History", "How We Got Here", "The Untold Story", "A Biography", "Notes on a Changing World",
	"An American Reckoning", "Essays", "The Science of Everything We Forget", "A Family Story",
}

var companionSubtitles = []struct{ subtitle, author, publisher string }{
	{"Summary & Analysis", "SuperSummary", "SuperSummary"},
	{"A Novel Study Guide", "BookRags", "BookRags"},
	{"The Graphic Novel", "", "Ten Speed Graphic"},
	{"A Reader's Companion", "", "Independently published"},
	{"Workbook", "Instaread", "Instaread"},
}

var awards = []string{
	"National Book Award", "Pulitzer Prize", "Booker Prize", "Hugo Award", "National Book Critics Circle Award",
	"Women's Prize for Fiction", "Edgar Award", "Nebula Award", "Kirkus Prize", "PEN/Faulkner Award",
}

// editionSubtitles make another edition of a title: what an edition look-alike adds to it.
var editionSubtitles = []struct{ subtitle, publisher, format string }{
	{"The Graphic Novel", "Ten Speed Graphic", "Paperback"},
	{"Illustrated Edition", "Chronicle Books", "Hardcover"},
	{"Young Readers' Edition", "Delacorte Press", "Paperback"},
	{"Abridged Edition", "Random House Audio", "Audiobook"},
	{"Annotated Edition", "W. W. Norton & Company", "Hardcover"},
	{"A Companion", "Independently published", "Paperback"},
	{"A Graphic Adaptation", "Abrams ComicArts", "Hardcover"},
}

// headingAuthors are authors whose catalogue heading is more than "Surname, Given": compound
// and particle surnames, initials, and organisations (one author even with "and" in the name).
var headingAuthors = []struct{ name, heading string }{
	{"Marisol García Lorente", "García Lorente, Marisol"},
	{"Pieter van der Berg", "van der Berg, Pieter"},
	{"Anne-Marie de Villiers", "de Villiers, Anne-Marie"},
	{"Ursula K. Le Fevre", "Le Fevre, Ursula K."},
	{"Lars von Essen", "Essen, Lars von"},
	{"Tomás Ruiz de la Peña", "Ruiz de la Peña, Tomás"},
	{"J. M. Okonkwo-Bassey", "Okonkwo-Bassey, J. M."},
	{"National Geographic Society", "National Geographic Society"},
	{"The Editors of Lumen Press", "Lumen Press. Editors"},
	{"Council on Climate and Security", "Council on Climate and Security"},
}
