"""What the app does. Views, the API, CLI commands and scheduler jobs all call these; each
public function owns its transaction (it commits), unless its docstring says otherwise."""
