/// `/login`: the password form. Its CSRF token is the login form's own (double submit: the same
/// value is in the `laterbase_login` cookie), since no session exists yet.
struct LoginPage: ConsoleView {
    static let template = "login"
    /// Why the last attempt was refused, if it was.
    let problem: String?
    let loginToken: String
}
