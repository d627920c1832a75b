package fakes

// famousBook is a hand-written real book placed in its real month of first (US) publication, so
// that demos and tests can look for titles a person recognises.
type famousBook struct {
	year, month                                        int
	title, subtitle, author, publisher, format, isbn13 string
	significance                                       string
}

var famousBooks = []famousBook{
	{1990, 11, "Jurassic Park", "", "Michael Crichton", "Alfred A. Knopf", "Hardcover", "9780394588162", "Bestseller that became a blockbuster film franchise"},
	{1992, 9, "The Secret History", "", "Donna Tartt", "Alfred A. Knopf", "Hardcover", "9780679410324", "Acclaimed debut that defined the campus novel"},
	{1996, 2, "Infinite Jest", "", "David Foster Wallace", "Little, Brown and Company", "Hardcover", "9780316920049", "Landmark postmodern novel"},
	{1996, 8, "A Game of Thrones", "", "George R. R. Martin", "Bantam Spectra", "Hardcover", "9780553103540", "First volume of A Song of Ice and Fire"},
	{1998, 9, "Harry Potter and the Sorcerer's Stone", "", "J. K. Rowling", "Scholastic", "Hardcover", "9780590353427", "US debut of the best-selling series"},
	{2001, 9, "The Corrections", "", "Jonathan Franzen", "Farrar, Straus and Giroux", "Hardcover", "9780374129989", "National Book Award winner"},
	{2002, 3, "Atonement", "", "Ian McEwan", "Nan A. Talese", "Hardcover", "9780385503952", "Booker Prize shortlist; US release"},
	{2002, 6, "Life of Pi", "", "Yann Martel", "Harcourt", "Hardcover", "9780151008117", "Booker Prize winner"},
	{2002, 7, "The Lovely Bones", "", "Alice Sebold", "Little, Brown and Company", "Hardcover", "9780316666343", "NYT #1 bestseller"},
	{2003, 3, "The Da Vinci Code", "", "Dan Brown", "Doubleday", "Hardcover", "9780385504201", "NYT #1 bestseller for over a year"},
	{2003, 5, "The Kite Runner", "", "Khaled Hosseini", "Riverhead Books", "Hardcover", "9781573222457", "Breakout debut and long-running bestseller"},
	{2005, 4, "Never Let Me Go", "", "Kazuo Ishiguro", "Alfred A. Knopf", "Hardcover", "9781400043392", "Booker Prize shortlist"},
	{2005, 10, "Twilight", "", "Stephenie Meyer", "Little, Brown and Company", "Hardcover", "9780316160179", "Young-adult phenomenon"},
	{2006, 3, "The Book Thief", "", "Markus Zusak", "Alfred A. Knopf", "Hardcover", "9780375831003", "Long-running NYT bestseller"},
	{2006, 5, "Water for Elephants", "", "Sara Gruen", "Algonquin Books", "Paperback", "9781565124998", "Word-of-mouth bestseller"},
	{2006, 9, "The Road", "", "Cormac McCarthy", "Alfred A. Knopf", "Hardcover", "9780307265432", "Pulitzer Prize for Fiction"},
	{2007, 7, "Harry Potter and the Deathly Hallows", "", "J. K. Rowling", "Arthur A. Levine Books", "Hardcover", "9780545010221", "Fastest-selling book of its time"},
	{2008, 9, "The Hunger Games", "", "Suzanne Collins", "Scholastic Press", "Hardcover", "9780439023481", "Young-adult bestseller, launched a trilogy"},
	{2008, 9, "The Girl with the Dragon Tattoo", "", "Stieg Larsson", "Alfred A. Knopf", "Hardcover", "9780307269751", "International bestseller, US release"},
	{2009, 2, "The Help", "", "Kathryn Stockett", "Amy Einhorn Books", "Hardcover", "9780399155345", "Debut and NYT #1 bestseller"},
	{2009, 10, "Wolf Hall", "", "Hilary Mantel", "Henry Holt and Co.", "Hardcover", "9780805080681", "Booker Prize winner"},
	{2011, 8, "Ready Player One", "", "Ernest Cline", "Crown", "Hardcover", "9780307887436", "Bestselling debut"},
	{2011, 9, "The Night Circus", "", "Erin Morgenstern", "Doubleday", "Hardcover", "9780385534635", "Bestselling debut"},
	{2012, 6, "Gone Girl", "", "Gillian Flynn", "Crown", "Hardcover", "9780307588364", "NYT #1 bestseller"},
	{2013, 10, "The Goldfinch", "", "Donna Tartt", "Little, Brown and Company", "Hardcover", "9780316055437", "Pulitzer Prize for Fiction"},
	{2014, 2, "The Martian", "", "Andy Weir", "Crown", "Hardcover", "9780553418026", "Self-published hit turned bestseller"},
	{2014, 5, "All the Light We Cannot See", "", "Anthony Doerr", "Scribner", "Hardcover", "9781476746586", "Pulitzer Prize for Fiction"},
	{2014, 9, "Station Eleven", "", "Emily St. John Mandel", "Alfred A. Knopf", "Hardcover", "9780385353304", "National Book Award finalist"},
	{2015, 1, "The Girl on the Train", "", "Paula Hawkins", "Riverhead Books", "Hardcover", "9781594633669", "NYT #1 bestseller"},
	{2015, 2, "Sapiens", "A Brief History of Humankind", "Yuval Noah Harari", "Harper", "Hardcover", "9780062316097", "International non-fiction bestseller"},
	{2016, 6, "Homegoing", "", "Yaa Gyasi", "Alfred A. Knopf", "Hardcover", "9781101947135", "Acclaimed debut, PEN/Hemingway Award"},
	{2016, 8, "The Underground Railroad", "", "Colson Whitehead", "Doubleday", "Hardcover", "9780385542364", "National Book Award and Pulitzer Prize"},
	{2018, 2, "Educated", "A Memoir", "Tara Westover", "Random House", "Hardcover", "9780399590504", "NYT #1 bestselling memoir"},
	{2018, 4, "Circe", "", "Madeline Miller", "Little, Brown and Company", "Hardcover", "9780316556347", "NYT #1 bestseller"},
	{2018, 8, "Where the Crawdads Sing", "", "Delia Owens", "G. P. Putnam's Sons", "Hardcover", "9780735219090", "Best-selling novel of 2019"},
	{2018, 11, "Becoming", "", "Michelle Obama", "Crown", "Hardcover", "9781524763138", "Best-selling memoir of the year"},
	{2019, 4, "Normal People", "", "Sally Rooney", "Hogarth", "Hardcover", "9781984822178", "Booker Prize longlist; US release"},
	{2019, 9, "The Testaments", "", "Margaret Atwood", "Nan A. Talese", "Hardcover", "9780385543781", "Booker Prize winner"},
	{2020, 9, "The Midnight Library", "", "Matt Haig", "Viking", "Hardcover", "9780525559474", "Goodreads Choice Award winner"},
	{2021, 3, "Klara and the Sun", "", "Kazuo Ishiguro", "Alfred A. Knopf", "Hardcover", "9780593318171", "Booker Prize longlist"},
	{2021, 5, "Project Hail Mary", "", "Andy Weir", "Ballantine Books", "Hardcover", "9780593135204", "NYT #1 bestseller"},
	{2022, 4, "Lessons in Chemistry", "", "Bonnie Garmus", "Doubleday", "Hardcover", "9780385547345", "Debut and NYT #1 bestseller"},
	{2022, 7, "Tomorrow, and Tomorrow, and Tomorrow", "", "Gabrielle Zevin", "Alfred A. Knopf", "Hardcover", "9780593321201", "Best-selling novel, Goodreads Choice winner"},
	{2022, 10, "Demon Copperhead", "", "Barbara Kingsolver", "Harper", "Hardcover", "9780063251922", "Pulitzer Prize for Fiction"},
	{2023, 5, "Fourth Wing", "", "Rebecca Yarros", "Entangled: Red Tower Books", "Hardcover", "9781649374042", "Romantasy phenomenon, NYT #1"},
}
