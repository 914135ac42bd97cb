// The one translation unit that compiles Asio, Asio.SSL and Beast (separate compilation).
// Every target using Asio sees BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION through pinwatch_net, so nothing else may include these.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
