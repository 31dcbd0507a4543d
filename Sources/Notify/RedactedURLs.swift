/// `text` with every URL cut to its scheme (`mailtos://…`): what remains of a notification URL
/// or a ping URL in a message or a log, whose rest (tokens, passwords) is the secret.
func redactingURLs(_ text: String) -> String {
    text.replacing(/([A-Za-z][A-Za-z0-9+.\-]*):\/\/\S*/) { "\($0.output.1)://…" }
}
