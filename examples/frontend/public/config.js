// The Folio API this site reads from. Edit it in dist/ after a build, without rebuilding, or
// override it for one visit with ?api=URL on the page's address.
window.FOLIO_API = "http://localhost:8080";
