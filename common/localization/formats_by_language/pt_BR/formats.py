"""pt-BR dates as a Brazilian office writes them (30/11/2026 16:08), not Django's long form
("30 de Novembro de 2026 às 16:08"); the rest comes from Django's pt_BR formats."""

DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
