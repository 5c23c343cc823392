/* layout.c — the arithmetic of chunks (see layout.h). */
#include <config.h>

#include "layout.h"

uint32_t
layout_across(const struct layout *l, uint32_t width)
{
	return l->tile_width == 0 ? 1 : (width - 1) / l->tile_width + 1;
}

uint32_t
layout_first(const struct layout *l, uint32_t width, uint32_t y)
{
	return y / l->rows * layout_across(l, width);
}

uint32_t
layout_count(const struct layout *l, uint32_t width, uint32_t rows)
{
	return ((rows - 1) / l->rows + 1) * layout_across(l, width);
}

int
layout_equal(const struct layout *a, const struct layout *b)
{
	return a->compression == b->compression && a->predictor == b->predictor &&
	    a->photometric == b->photometric && a->quality == b->quality &&
	    a->level == b->level && a->bigtiff == b->bigtiff && a->lab == b->lab &&
	    a->tile_width == b->tile_width && a->rows == b->rows;
}
