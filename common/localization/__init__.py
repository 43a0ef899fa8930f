"""Brazilian formats and readers: CPF/CNPJ and CEP masks, reais and addresses for people
(``formats``), decimal numbers typed with a comma (``forms``), Django's format modules per
language (``formats_by_language``, named by ``FORMAT_MODULE_PATH``) and the accent-free
search text (``search``).

It holds formats and text folding only: no HTTP, no models, no translations (those are in
``common/locale``).
"""
