/// An error of the calculator, carrying the text the model reads, worded like Python's last
/// traceback line (`ZeroDivisionError: division by zero`, `SyntaxError: invalid syntax`).
struct CalculatorError: Error, Equatable {
    var text: String

    init(_ text: String) {
        self.text = text
    }
}
