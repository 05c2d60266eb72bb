/* gencorpus.c: placeholder replaced by the corpus generator (see issue "fast queries"). */
int main(void) { return 0; }
