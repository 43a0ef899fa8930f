"""HTTP layer of users_api: parse input, call a service or selector, render output.

``auth``: signing up, signing in, tokens and the caller's own account (any
authenticated caller); ``management``: users, grants, roles and the catalogue
(each behind its permission code).
"""
