"""One module per verb; each is a thin async function over plan and executor."""
