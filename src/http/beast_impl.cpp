// The one compilation of Asio and Beast (separate compilation keeps every
// other file of http/ from compiling them again).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
