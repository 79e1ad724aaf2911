"""The Dockerfile parser: continuations, directives, comments, flags, forms, heredocs."""

from __future__ import annotations

import pytest

from common.errors import BuildError
from runtime.build.dockerfile import json_list, parse, split_flags


def kw(text: str) -> list[tuple[str, str]]:
    return [(i.keyword, i.rest) for i in parse(text).instructions]


def test_simple_instructions_and_case() -> None:
    assert kw("from busybox\nrun echo hi\n") == [("FROM", "busybox"), ("RUN", "echo hi")]


def test_comments_and_blank_lines_are_skipped() -> None:
    assert kw("# a comment\n\nFROM a\n   # indented comment\nRUN x\n") == [
        ("FROM", "a"), ("RUN", "x")]


def test_line_numbers() -> None:
    parsed = parse("FROM a\n\nRUN x \\\n  y\nCMD z\n")
    assert [i.line for i in parsed.instructions] == [1, 3, 5]


def test_continuation_joins_lines() -> None:
    assert kw("FROM a\nRUN echo a \\\n  b \\\n  c\n") == [
        ("FROM", "a"), ("RUN", "echo a   b   c")]


def test_continuation_with_trailing_spaces_after_escape() -> None:
    assert kw("FROM a\nRUN a \\   \n b\n")[1] == ("RUN", "a  b")


def test_comment_and_blank_line_inside_continuation_are_dropped() -> None:
    assert kw("FROM a\nRUN a \\\n# note\n\n  b\n")[1] == ("RUN", "a   b")


def test_escape_directive_backtick() -> None:
    parsed = parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  x\n")
    assert parsed.escape == "`"
    assert parsed.instructions[1].rest == "dir c:\\   x"


def test_syntax_directive_recorded() -> None:
    parsed = parse("# syntax=docker/dockerfile:1\n# escape=\\\nFROM a\n")
    assert parsed.directives == {"syntax": "docker/dockerfile:1", "escape": "\\"}


def test_directive_after_comment_is_a_comment() -> None:
    parsed = parse("# hello\n# escape=`\nFROM a\n")
    assert parsed.escape == "\\"
    assert parsed.directives == {}


def test_directive_after_instruction_is_a_comment() -> None:
    assert parse("FROM a\n# escape=`\n").escape == "\\"


def test_duplicate_directive_refused() -> None:
    with pytest.raises(BuildError, match="only one escape"):
        parse("# escape=`\n# escape=\\\nFROM a\n")


def test_bad_escape_refused() -> None:
    with pytest.raises(BuildError, match="invalid escape"):
        parse("# escape=x\nFROM a\n")


def test_unknown_instruction_names_line() -> None:
    with pytest.raises(BuildError, match=r"Dockerfile:2: unknown instruction: FOO"):
        parse("FROM a\nFOO bar\n")


def test_flags_split() -> None:
    inst = parse("FROM a\nCOPY --from=build --chown=1:2 --link src dst\n").instructions[1]
    assert inst.flags == (("from", "build"), ("chown", "1:2"), ("link", None))
    assert inst.rest == "src dst"
    assert inst.flag("from") == "build"
    assert inst.flag("link") == "true"
    assert inst.flag("chmod") is None


def test_repeated_flags() -> None:
    inst = parse("FROM a\nRUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/b ls\n"
                 ).instructions[1]
    assert inst.flag_all("mount") == ["type=cache,target=/a", "type=tmpfs,target=/b"]
    assert inst.rest == "ls"


def test_flags_only_for_flag_instructions() -> None:
    inst = parse("FROM a\nENV --x=1\n").instructions[1]
    assert inst.flags == ()
    assert inst.rest == "--x=1"


def test_from_platform_flag() -> None:
    inst = parse("FROM --platform=$BUILDPLATFORM golang AS b\n").instructions[0]
    assert inst.flag("platform") == "$BUILDPLATFORM"
    assert inst.rest == "golang AS b"


def test_split_flags_quoted_value() -> None:
    assert split_flags('--chown="a b" x') == ((("chown", "a b"),), "x")


def test_exec_form_and_shell_form() -> None:
    parsed = parse('FROM a\nCMD ["echo", "hi"]\nCMD echo hi\nCMD [not json\n')
    assert parsed.instructions[1].exec_form == ["echo", "hi"]
    assert parsed.instructions[2].exec_form is None
    assert parsed.instructions[3].exec_form is None


def test_json_list_requires_strings() -> None:
    assert json_list("[1, 2]") is None
    assert json_list('["a"]') == ["a"]
    assert json_list("  []") == []


def test_heredoc_in_run() -> None:
    parsed = parse("FROM a\nRUN <<EOF\necho one\necho two\nEOF\nCMD x\n")
    run = parsed.instructions[1]
    assert run.rest == "<<EOF"
    assert run.heredocs[0].name == "EOF"
    assert run.heredocs[0].content == "echo one\necho two\n"
    assert run.heredocs[0].expand
    assert parsed.instructions[2].keyword == "CMD"


def test_heredoc_quoted_is_literal() -> None:
    run = parse("FROM a\nRUN <<'EOF'\n$HOME\nEOF\n").instructions[1]
    assert not run.heredocs[0].expand
    run = parse('FROM a\nRUN <<"EOF"\n$HOME\nEOF\n').instructions[1]
    assert not run.heredocs[0].expand


def test_heredoc_chomp_strips_tabs() -> None:
    run = parse("FROM a\nRUN <<-EOF\n\techo a\n\tEOF\n").instructions[1]
    assert run.heredocs[0].content == "echo a\n"
    assert run.heredocs[0].chomp


def test_two_heredocs_in_copy() -> None:
    copy = parse("FROM a\nCOPY <<A <<B /dest/\na\nA\nb\nB\n").instructions[1]
    assert [(h.name, h.content) for h in copy.heredocs] == [("A", "a\n"), ("B", "b\n")]


def test_unterminated_heredoc() -> None:
    with pytest.raises(BuildError, match="not terminated"):
        parse("FROM a\nRUN <<EOF\necho\n")


def test_heredoc_only_in_run_copy_add() -> None:
    inst = parse("FROM a\nENV X=<<EOF\n").instructions[1]
    assert inst.heredocs == ()


def test_heredoc_not_in_exec_form() -> None:
    inst = parse('FROM a\nRUN ["sh", "-c", "cat <<EOF"]\n').instructions[1]
    assert inst.heredocs == ()


def test_onbuild_forbidden_triggers() -> None:
    with pytest.raises(BuildError, match="isn't allowed"):
        parse("FROM a\nONBUILD FROM b\n")


def test_crlf_line_endings() -> None:
    assert kw("FROM a\r\nRUN x\r\n") == [("FROM", "a"), ("RUN", "x")]


def test_tab_after_keyword() -> None:
    assert kw("FROM\ta\n") == [("FROM", "a")]
