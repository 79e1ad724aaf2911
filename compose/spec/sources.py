"""Which file, line and column a key path of the merged model came from."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import ComposeFileError, Location
from compose.spec.load.parse import Document, KeyPath


@dataclass(frozen=True)
class Sources:
    """The parsed files of a project, latest last, to point errors at a line."""

    documents: tuple[Document, ...] = ()

    def locate(self, path: KeyPath) -> Location:
        """The file that defines the longest prefix of ``path`` (later files win)."""
        if not self.documents:
            from compose.spec.load.parse import format_path

            return Location("compose.yaml", key=format_path(path))
        best = self.documents[-1]
        best_depth = -1
        for document in reversed(self.documents):
            depth = len(path)
            while depth > 0 and path[:depth] not in document.positions:
                depth -= 1
            if depth > best_depth:
                best, best_depth = document, depth
        return best.locate(path)

    def error(self, path: KeyPath, message: str) -> ComposeFileError:
        return ComposeFileError(self.locate(path), message)

    def __add__(self, other: Sources) -> Sources:
        return Sources((*self.documents, *other.documents))
